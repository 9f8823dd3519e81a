package io.jvmm.vmm.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP/1.1 over a unix socket, as the Firecracker and Cloud Hypervisor APIs speak it: one request per
 * connection, JSON bodies, a deadline on every call. Java's HttpClient has no unix socket transport.
 */
public final class UnixHttpClient {
    private final Path socket;

    /** A response: status code and body (possibly empty). */
    public record Response(int status, String body) {
        public boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    public UnixHttpClient(Path socket) {
        this.socket = socket;
    }

    public Response send(String method, String path, String jsonBody, Duration timeout) throws IOException {
        CompletableFuture<Response> result = CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return exchange(method, path, jsonBody);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                r -> Thread.ofVirtual().start(r));
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new IOException(method + " " + path + ": no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private Response exchange(String method, String path, String jsonBody) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder()
                    .append(method)
                    .append(' ')
                    .append(path)
                    .append(" HTTP/1.1\r\n")
                    .append("Host: localhost\r\n")
                    .append("Accept: application/json\r\n")
                    .append("Connection: close\r\n");
            if (jsonBody != null) {
                head.append("Content-Type: application/json\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
            ByteBuffer out = ByteBuffer.allocate(head.length() + body.length);
            out.put(head.toString().getBytes(StandardCharsets.US_ASCII))
                    .put(body)
                    .flip();
            while (out.hasRemaining()) {
                channel.write(out);
            }
            return read(Channels.newInputStream(channel));
        }
    }

    private static Response read(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + status);
        }
        int code = Integer.parseInt(parts[1]);
        long length = -1;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon > 0
                    && header.substring(0, colon)
                            .trim()
                            .toLowerCase(Locale.ROOT)
                            .equals("content-length")) {
                length = Long.parseLong(header.substring(colon + 1).trim());
            }
        }
        byte[] body = length >= 0 ? in.readNBytes((int) length) : in.readAllBytes();
        return new Response(code, new String(body, StandardCharsets.UTF_8));
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of a response");
            }
            if (b != '\r') {
                line.write(b);
            }
            if (line.size() > 8192) {
                throw new IOException("response line too long");
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }
}
