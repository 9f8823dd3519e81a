package io.jvmm.e2e.vm;

import io.jvmm.agent.client.StdioStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reads a stdio stream to its end on its own thread, keeping the first bytes, the count and a SHA-256. */
final class OutputCollector {
    private static final int KEEP = 64 * 1024;

    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private final MessageDigest sha256;
    private final CompletableFuture<Long> done = new CompletableFuture<>();

    private OutputCollector(StdioStream stream) {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Thread.ofPlatform().daemon(true).name("collect-output").start(() -> pump(stream));
    }

    static OutputCollector of(StdioStream stream) {
        return new OutputCollector(stream);
    }

    private void pump(StdioStream stream) {
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try (stream;
                InputStream in = stream.input()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                sha256.update(buffer, 0, n);
                if (head.size() < KEEP) {
                    head.write(buffer, 0, Math.min(n, KEEP - head.size()));
                }
                total += n;
            }
            done.complete(total);
        } catch (IOException e) {
            done.completeExceptionally(e);
        }
    }

    /** Waits for the end of the stream and returns the total byte count. */
    long awaitEnd() throws Exception {
        return done.get(120, TimeUnit.SECONDS);
    }

    String text() throws Exception {
        awaitEnd();
        return head.toString(StandardCharsets.UTF_8);
    }

    String sha256Hex() throws Exception {
        awaitEnd();
        return HexFormat.of().formatHex(sha256.digest());
    }
}
