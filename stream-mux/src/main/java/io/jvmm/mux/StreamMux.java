package io.jvmm.mux;

import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many byte streams over one pipe: how the host reaches the guest agent's ports when the VM has no vsock
 * device (a virtio-serial port instead, which needs no shared guest memory and survives a snapshot).
 *
 * <p>The host opens streams to guest ports, the guest accepts them; every stream is flow-controlled
 * (see {@link MuxStream}). A session starts with the host's {@code HELLO} (random nonce), which the
 * guest echoes after dropping every stream it had: a guest restored from a snapshot, or one whose host
 * went away mid-frame, starts clean. The host ignores everything before the echo; the guest, on bytes
 * that are no frame, drops its streams and skips ahead to the next {@code HELLO}.
 */
public final class StreamMux implements Closeable {
    private static final byte[] MAGIC = "jvmm-mux".getBytes(StandardCharsets.US_ASCII);
    private static final int HELLO_PAYLOAD = MAGIC.length + 8;
    /** A guest whose host is away reads end of file until the next host connects (virtio-serial). */
    private static final long HOST_AWAY_POLL_MS = 20;

    private enum Role {
        HOST,
        GUEST
    }

    private final Role role;
    private final String name;
    private final DataInputStream in;
    private final OutputStream out;
    private final Map<Integer, MuxStream> streams = new ConcurrentHashMap<>();
    private final Map<Integer, MuxListener> listeners = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Boolean>> opening = new ConcurrentHashMap<>();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final CompletableFuture<Void> session = new CompletableFuture<>();
    private final byte[] hello;
    private volatile boolean closed;

    private StreamMux(Role role, String name, InputStream in, OutputStream out, byte[] hello) {
        this.role = role;
        this.name = name;
        this.in = new DataInputStream(
                new BufferedInputStream(new UnknownAvailable(in), MuxFrame.HEADER + MuxFrame.MAX_PAYLOAD));
        this.out = out;
        this.hello = hello;
    }

    /**
     * A pipe that never claims to know how many bytes wait. A virtio-serial port cannot say (FIONREAD fails
     * there, and the JDK's available() falls back to lseek: "Illegal seek"), and BufferedInputStream asks
     * after every partial read: the guest then took the first frame larger than what had arrived for a
     * broken pipe and dropped its session. Answering 0 makes the buffer return what it has, and the frame
     * reader read on.
     */
    private static final class UnknownAvailable extends FilterInputStream {
        UnknownAvailable(InputStream in) {
            super(in);
        }

        @Override
        public int available() {
            return 0;
        }
    }

    /** The host end: sends HELLO and serves the pipe on a thread of its own. */
    public static StreamMux host(String name, InputStream in, OutputStream out) throws IOException {
        byte[] nonce = new byte[8];
        new SecureRandom().nextBytes(nonce);
        byte[] hello = ByteBuffer.allocate(HELLO_PAYLOAD).put(MAGIC).put(nonce).array();
        StreamMux mux = new StreamMux(Role.HOST, name, in, out, hello);
        mux.send(new MuxFrame(MuxFrame.Kind.HELLO, 0, hello));
        mux.startReader();
        return mux;
    }

    /** The guest end: waits for a host's HELLO, then accepts streams on the ports {@link #listen}ed to. */
    public static StreamMux guest(String name, InputStream in, OutputStream out) {
        StreamMux mux = new StreamMux(Role.GUEST, name, in, out, null);
        mux.startReader();
        return mux;
    }

    private void startReader() {
        Thread.ofPlatform()
                .daemon(true)
                .name("mux-" + name)
                .start(role == Role.HOST ? this::hostLoop : this::guestLoop);
    }

    /** Guest: streams the host opens to {@code port} are queued on the returned listener. */
    public MuxListener listen(int port) {
        MuxListener listener = new MuxListener(port);
        if (listeners.putIfAbsent(port, listener) != null) {
            throw new IllegalStateException("port " + port + " already has a listener");
        }
        return listener;
    }

    /**
     * Host: opens a stream to the guest's {@code port} and carries {@code local}'s bytes over it until either
     * side ends it. Fails with {@link IOException} when the guest refuses, the pipe ends, or at the timeout.
     */
    public void open(int port, MuxEndpoint local, Duration timeout) throws IOException {
        open(port, local, timeout, () -> {});
    }

    /** Runs before the stream's first byte reaches {@code local}, once the guest accepted it. */
    @FunctionalInterface
    public interface Accepted {
        void run() throws IOException;
    }

    /** Like {@link #open(int, MuxEndpoint, Duration)}; {@code accepted} runs before any byte is carried. */
    public void open(int port, MuxEndpoint local, Duration timeout, Accepted accepted) throws IOException {
        if (role != Role.HOST) {
            throw new IllegalStateException("only the host opens streams");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        await(session, deadline, "the guest did not answer HELLO");
        int id = nextStream.getAndIncrement();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        MuxStream stream = new MuxStream(id, this, local);
        opening.put(id, answer);
        streams.put(id, stream);
        try {
            send(MuxFrame.withInt(MuxFrame.Kind.OPEN, id, port));
            if (!await(answer, deadline, "the guest did not answer OPEN of port " + port)) {
                streams.remove(id);
                throw new IOException("guest port " + port + " refused the stream");
            }
            accepted.run();
        } catch (IOException e) {
            if (answer.isDone() && !answer.isCompletedExceptionally() && answer.join()) {
                sendQuietly(new MuxFrame(MuxFrame.Kind.RESET, id, new byte[0]));
            }
            stream.resetQuietly();
            streams.remove(id);
            opening.remove(id);
            throw e;
        }
        stream.start();
    }

    private static <T> T await(CompletableFuture<T> future, long deadline, String what) throws IOException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IOException(what + " in time");
        } catch (ExecutionException e) {
            throw new IOException(what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    void send(MuxFrame frame) throws IOException {
        byte[] bytes = frame.encode();
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    /**
     * Sends a frame of {@code stream} unless it was reset: checked under the pipe's lock, so nothing of a
     * stream dropped for a new session can follow that session's HELLO echo.
     */
    void send(MuxStream stream, MuxFrame frame) throws IOException {
        byte[] bytes = frame.encode();
        synchronized (out) {
            if (stream.isReset()) {
                return;
            }
            out.write(bytes);
            out.flush();
        }
    }

    private void sendQuietly(MuxFrame frame) {
        try {
            send(frame);
        } catch (IOException e) {
            // the pipe is gone: the peer drops the stream with it
        }
    }

    void forget(MuxStream stream) {
        streams.remove(stream.id, stream);
    }

    public int openStreams() {
        return streams.size();
    }

    private void hostLoop() {
        try {
            skipToHello(hello);
            session.complete(null);
            while (!closed) {
                MuxFrame frame = MuxFrame.readFrom(in);
                switch (frame.kind()) {
                    case ACCEPT, REFUSE -> answerOpen(frame);
                    case HELLO, OPEN -> throw new MuxProtocolException("guest sent " + frame.kind());
                    default -> deliver(frame);
                }
            }
        } catch (IOException e) {
            if (!closed) {
                MuxLog.get().debug("mux {}: pipe ended: {}", name, e.getMessage());
            }
        } finally {
            session.completeExceptionally(new IOException("mux pipe ended"));
            close();
        }
    }

    private void answerOpen(MuxFrame frame) {
        CompletableFuture<Boolean> answer = opening.remove(frame.stream());
        if (answer != null) {
            answer.complete(frame.kind() == MuxFrame.Kind.ACCEPT);
        }
    }

    private void guestLoop() {
        byte[] expected = null; // the guest takes any nonce: it echoes the HELLO it read
        while (!closed) {
            try {
                byte[] got = skipToHello(expected);
                dropAll("new session");
                send(new MuxFrame(MuxFrame.Kind.HELLO, 0, got));
                serveGuestSession();
            } catch (EOFException e) {
                dropAll("host went away");
                hostAway();
            } catch (IOException e) {
                MuxLog.get().warn("mux {}: {}; waiting for the next session", name, e.getMessage());
                dropAll(e.getMessage());
            }
        }
    }

    private void serveGuestSession() throws IOException {
        while (!closed) {
            MuxFrame frame = MuxFrame.readFrom(in);
            switch (frame.kind()) {
                case HELLO -> {
                    dropAll("new session");
                    send(frame);
                }
                case OPEN -> accept(frame);
                case ACCEPT, REFUSE -> throw new MuxProtocolException("host sent " + frame.kind());
                default -> deliver(frame);
            }
        }
    }

    private void accept(MuxFrame frame) throws IOException {
        int port = frame.intPayload();
        MuxListener listener = listeners.get(port);
        if (listener == null || streams.containsKey(frame.stream())) {
            send(new MuxFrame(MuxFrame.Kind.REFUSE, frame.stream(), new byte[0]));
            return;
        }
        int[] pair = Libc.socketPair();
        MuxStream stream = new MuxStream(frame.stream(), this, MuxEndpoint.of(new VsockStream(pair[0])));
        streams.put(frame.stream(), stream);
        send(new MuxFrame(MuxFrame.Kind.ACCEPT, frame.stream(), new byte[0]));
        stream.start();
        listener.offer(pair[1]);
    }

    private void deliver(MuxFrame frame) throws IOException {
        MuxStream stream = streams.get(frame.stream());
        if (stream == null) {
            // A stream already reset here; frames still in flight for it are dropped.
            return;
        }
        try {
            stream.receive(frame);
        } catch (MuxProtocolException e) {
            MuxLog.get().warn("mux {}: {}", name, e.getMessage());
            send(new MuxFrame(MuxFrame.Kind.RESET, frame.stream(), new byte[0]));
            stream.resetQuietly();
        }
    }

    /**
     * Reads until a HELLO frame (with {@code expected} as payload, or any valid one when null) has been
     * read, byte by byte so no frame boundary is assumed; answers the payload.
     */
    private byte[] skipToHello(byte[] expected) throws IOException {
        byte[] header = ByteBuffer.allocate(MuxFrame.HEADER)
                .put((byte) MuxFrame.Kind.HELLO.code)
                .putInt(0)
                .putInt(HELLO_PAYLOAD)
                .array();
        byte[] prefix = ByteBuffer.allocate(MuxFrame.HEADER + MAGIC.length)
                .put(header)
                .put(MAGIC)
                .array();
        byte[] window = new byte[MuxFrame.HEADER + HELLO_PAYLOAD];
        int filled = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("mux pipe ended before HELLO");
            }
            if (filled == window.length) {
                System.arraycopy(window, 1, window, 0, window.length - 1);
                filled--;
            }
            window[filled++] = (byte) b;
            if (filled == window.length && Arrays.equals(window, 0, prefix.length, prefix, 0, prefix.length)) {
                byte[] payload = Arrays.copyOfRange(window, MuxFrame.HEADER, window.length);
                if (expected == null || Arrays.equals(payload, expected)) {
                    return payload;
                }
            }
        }
    }

    private void dropAll(String why) {
        if (!streams.isEmpty()) {
            MuxLog.get().debug("mux {}: dropping {} streams ({})", name, streams.size(), why);
        }
        streams.values().forEach(MuxStream::resetQuietly);
        streams.clear();
    }

    private void hostAway() {
        try {
            Thread.sleep(HOST_AWAY_POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        dropAll("closed");
        opening.values().forEach(f -> f.completeExceptionally(new IOException("mux closed")));
        listeners.values().forEach(MuxListener::close);
        try {
            in.close();
        } catch (IOException e) {
            // closing
        }
        try {
            out.close();
        } catch (IOException e) {
            // closing
        }
    }
}
