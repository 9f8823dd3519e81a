package io.jvmm.sys;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The hybrid vsock preamble of Firecracker, Cloud Hypervisor and vhost-device-vsock, in one place for its
 * three users (ttrpc's Netty handshake, the agent client's raw stdio streams, and the serial bridge that
 * serves it): the host connects to a unix socket, sends {@code CONNECT <port>\n} and reads
 * {@code OK <n>\n}; after that the connection is the guest's port. Lines are at most {@link #MAX_LINE}
 * bytes, read one byte at a time so no byte of the stream after them is consumed.
 */
public final class HybridVsock {
    public static final int MAX_LINE = 64;

    private HybridVsock() {}

    /** What a client sends for {@code port}. */
    public static String request(int port) {
        return "CONNECT " + Integer.toUnsignedString(port) + "\n";
    }

    /** What a server answers once {@code port} is connected. */
    public static String answer(int port) {
        return "OK " + Integer.toUnsignedString(port) + "\n";
    }

    /** The port a request line (without its newline) asks for; anything else is refused. */
    public static int parseRequest(String line) throws IOException {
        if (!line.matches("CONNECT [0-9]{1,10}")) {
            throw new IOException("hybrid vsock: bad request \"" + printable(line) + "\"");
        }
        try {
            return Integer.parseUnsignedInt(line.substring(8));
        } catch (NumberFormatException e) {
            throw new IOException("hybrid vsock: port out of range in \"" + line + "\"", e);
        }
    }

    /** Checks the answer line (without its newline) to a request for {@code port}. */
    public static void checkAnswer(int port, String line) throws IOException {
        if (!line.startsWith("OK ")) {
            throw new IOException("hybrid vsock: port " + port + " refused ("
                    + (line.isEmpty() ? "connection closed" : printable(line)) + ")");
        }
    }

    /**
     * A blocking connection to the guest's {@code port} through {@code socket}, answered within
     * {@code timeout}: a guest that never answers the request has its connection closed at the deadline
     * (which ends the blocked read) and the caller gets an IOException saying so.
     */
    public static SocketChannel connect(Path socket, int port, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        AtomicBoolean settled = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().name("hybrid-vsock-deadline").start(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException e) {
                return;
            }
            if (settled.compareAndSet(false, true)) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closing is all there is to do
                }
            }
        });
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            write(channel, request(port));
            checkAnswer(port, readLine(channel, false));
            if (!settled.compareAndSet(false, true)) {
                throw new IOException("closed at the deadline");
            }
            watchdog.interrupt();
            return channel;
        } catch (IOException e) {
            boolean timedOut = !settled.compareAndSet(false, true);
            watchdog.interrupt();
            channel.close();
            if (timedOut) {
                throw new IOException(
                        "hybrid vsock: port " + port + " did not answer within " + timeout.toMillis() + " ms", e);
            }
            throw e;
        }
    }

    /** Reads one line; at the end of the stream, what came (or, if {@code requireNewline}, a failure). */
    public static String readLine(SocketChannel channel, boolean requireNewline) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.length() < MAX_LINE) {
            one.clear();
            if (channel.read(one) < 0) {
                if (requireNewline) {
                    throw new IOException("hybrid vsock: closed before the end of its line");
                }
                return line.toString();
            }
            char c = (char) (one.get(0) & 0xff);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
        throw new IOException("hybrid vsock: line longer than " + MAX_LINE + " bytes");
    }

    public static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static String printable(String s) {
        return s.codePoints()
                .map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }
}
