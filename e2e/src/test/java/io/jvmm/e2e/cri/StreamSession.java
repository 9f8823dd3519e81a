package io.jvmm.e2e.cri;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One exec or attach session on containerd's CRI streaming server, over a WebSocket with Kubernetes'
 * {@code v4.channel.k8s.io} protocol (what kubectl speaks through the API server): every binary message
 * starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 the final status as JSON, 4 resize).
 */
final class StreamSession implements AutoCloseable {
    static final String PROTOCOL = "v4.channel.k8s.io";
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final StringBuilder status = new StringBuilder();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final WebSocket socket;

    private StreamSession(String url) {
        socket = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .subprotocols(PROTOCOL)
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url.replaceFirst("^http", "ws")), new Listener())
                .join();
    }

    static StreamSession open(String url) {
        return new StreamSession(url);
    }

    /** Sends bytes to the process's stdin. */
    void writeStdin(String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer frame =
                ByteBuffer.allocate(data.length + 1).put((byte) 0).put(data).flip();
        socket.sendBinary(frame, true).join();
    }

    /** Waits until the server ends the session (the process exited); false at the deadline. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /** Waits until stdout holds {@code text}; false at the deadline. */
    boolean awaitStdout(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!stdout().contains(text)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    synchronized String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    synchronized String status() {
        return status.toString();
    }

    private synchronized void received(ByteBuffer data) {
        if (!data.hasRemaining()) {
            return;
        }
        int channel = data.get();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        switch (channel) {
            case 1 -> stdout.writeBytes(bytes);
            case 2 -> stderr.writeBytes(bytes);
            case 3 -> status.append(new String(bytes, StandardCharsets.UTF_8));
            default -> {}
        }
    }

    private final class Listener implements WebSocket.Listener {
        private ByteArrayOutputStream partial = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            if (last) {
                received(ByteBuffer.wrap(partial.toByteArray()));
                partial = new ByteArrayOutputStream();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "")
                    .orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null)
                    .join();
        }
        socket.abort();
    }
}
