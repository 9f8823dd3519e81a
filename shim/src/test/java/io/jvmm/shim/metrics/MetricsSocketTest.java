package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shim's metrics endpoint over a real unix socket. */
class MetricsSocketTest {
    @TempDir
    Path dir;

    @Test
    void servesTheScrapeToAGetOfMetricsAndOnlyThat() throws Exception {
        Path path = dir.resolve("metrics").resolve("a.sock");
        try (MetricsSocket socket = MetricsSocket.serve(path, () -> "up 1\n")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())))
                    .isEqualTo("rwx------");
            assertThat(HttpLite.getMetrics(socket.path(), 1 << 20, Duration.ofSeconds(5)))
                    .isEqualTo("up 1\n");
            assertThat(exchange(path, "GET /other HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.0 404 ");
            assertThat(exchange(path, "POST /metrics HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.0 405 ");
            assertThat(exchange(path, "nonsense\r\n\r\n")).startsWith("HTTP/1.0 400 ");
            // A head that never ends is cut off at the bound, unanswered; the socket serves the next one.
            assertThat(exchange(path, "GET /metrics HTTP/1.0\r\nX: " + "y".repeat(MetricsSocket.MAX_REQUEST)))
                    .isEmpty();
            assertThat(HttpLite.getMetrics(path, 1 << 20, Duration.ofSeconds(5)))
                    .isEqualTo("up 1\n");
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void aStaleSocketIsReplacedAndAnAnswerOverTheBoundIsRefused() throws Exception {
        Path path = dir.resolve("metrics").resolve("b.sock");
        Files.createDirectories(path.getParent());
        Files.writeString(path, "left by a killed shim");
        try (MetricsSocket socket = MetricsSocket.serve(path, () -> "x".repeat(4096))) {
            assertThatThrownBy(() -> HttpLite.getMetrics(socket.path(), 1024, Duration.ofSeconds(5)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("larger than 1024");
        }
    }

    /** Sends {@code request} raw and reads what comes back until the server closes. */
    private static String exchange(Path path, String request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(path));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            try {
                while (out.hasRemaining()) {
                    channel.write(out);
                }
            } catch (IOException e) {
                return ""; // the server stopped reading: it closed the connection
            }
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            try {
                while (channel.read(in) >= 0 && in.hasRemaining()) {
                    // until the server closes
                }
            } catch (IOException e) {
                // reset by the server
            }
            return new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
        }
    }
}
