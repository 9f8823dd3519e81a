package io.jvmm.shim.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The little HTTP/1.0 the metrics sockets speak: one request, one answer, then the connection closes.
 * Heads and bodies are bounded before they are read into memory.
 */
final class HttpLite {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private HttpLite() {}

    /** Reads a head up to its blank line; more than {@code max} bytes without one is an error. */
    static String readHead(SocketChannel channel, int max) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(max);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                break;
            }
            String seen = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            if (seen.contains("\r\n\r\n") || seen.contains("\n\n")) {
                return seen;
            }
        }
        throw new IOException("request head not ended within " + max + " bytes");
    }

    static void respond(SocketChannel channel, int status, String contentType, String body) throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.0 " + status + " " + reason(status) + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + content.length + "\r\nConnection: close\r\n\r\n";
        ByteBuffer out = ByteBuffer.allocate(head.length() + content.length);
        out.put(head.getBytes(StandardCharsets.US_ASCII)).put(content).flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            default -> "Error";
        };
    }

    /**
     * {@code GET /metrics} on the unix socket {@code socket}: the body of a 200 answer, at most {@code max}
     * bytes, within {@code deadline}; anything else is an IOException saying what came back.
     */
    static String getMetrics(Path socket, int max, Duration deadline) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            Deadline.closeAfter(channel, deadline);
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer request =
                    ByteBuffer.wrap("GET /metrics HTTP/1.0\r\nHost: jvmm\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            while (channel.read(buffer) >= 0) {
                if (answer.size() + buffer.position() > max) {
                    throw new IOException("answer larger than " + max + " bytes");
                }
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.0 200 ") && !text.startsWith("HTTP/1.1 200 ") || end < 0) {
                throw new IOException("answered " + text.lines().findFirst().orElse("nothing"));
            }
            return text.substring(end + 4);
        }
    }
}
