package io.jvmm.agent.client;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Raw connections to a guest's vsock port through the monitor's hybrid vsock unix socket:
 * {@code CONNECT <port>\n}, answered {@code OK <n>\n}. Used for stdio, where the bytes are the stream.
 */
public final class HybridVsock {
    private static final int MAX_ANSWER = 64;

    private HybridVsock() {
    }

    public static SocketChannel connect(Path socket, int port) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            write(channel, "CONNECT " + port + "\n");
            String answer = readLine(channel);
            if (!answer.startsWith("OK ")) {
                throw new IOException("hybrid vsock: port " + port + " refused (" + (answer.isEmpty() ? "closed" : answer) + ")");
            }
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Reads one line byte by byte, so no byte of the stream after it is consumed. */
    private static String readLine(SocketChannel channel) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.length() < MAX_ANSWER) {
            one.clear();
            if (channel.read(one) < 0) {
                return line.toString();
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
        throw new IOException("hybrid vsock: answer longer than " + MAX_ANSWER + " bytes");
    }
}
