package io.jvmm.shim.metrics;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A shim's metrics on a unix socket (no TCP port per shim): {@code GET /metrics} over HTTP/1.0 answers
 * the text {@code scrape} gives, anything else 404 or 400. The socket is the owner's alone (mode 0600 in
 * an owner-only directory), so its peers are the monitor and root. One connection at a time, each with a
 * deadline; a request line and headers over {@link #MAX_REQUEST} bytes are refused before more is read.
 */
public final class MetricsSocket implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(MetricsSocket.class);
    static final int MAX_REQUEST = 8192;
    static final Duration DEADLINE = Duration.ofSeconds(5);

    private final Path path;
    private final ServerSocketChannel server;
    private final Supplier<String> scrape;
    private final Thread acceptor;

    private MetricsSocket(Path path, ServerSocketChannel server, Supplier<String> scrape) {
        this.path = path;
        this.server = server;
        this.scrape = scrape;
        this.acceptor = Thread.ofPlatform().daemon(true).name("metrics").unstarted(this::acceptLoop);
    }

    /** Binds {@code path} (a stale socket there is replaced) and serves {@code scrape} on it. */
    public static MetricsSocket serve(Path path, Supplier<String> scrape) throws IOException {
        Files.createDirectories(
                path.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        MetricsSocket socket = new MetricsSocket(path, server, scrape);
        socket.acceptor.start();
        return socket;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try (SocketChannel peer = server.accept()) {
                Deadline.closeAfter(peer, DEADLINE);
                answer(peer);
            } catch (IOException | RuntimeException e) {
                if (server.isOpen()) {
                    LOG.debug("metrics request failed: {}", e.toString());
                }
            }
        }
    }

    private void answer(SocketChannel peer) throws IOException {
        String request = HttpLite.readHead(peer, MAX_REQUEST);
        String line = request.lines().findFirst().orElse("");
        String[] parts = line.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            HttpLite.respond(peer, 400, "text/plain", "bad request\n");
        } else if (!parts[0].equals("GET")) {
            HttpLite.respond(peer, 405, "text/plain", "only GET\n");
        } else if (!parts[1].equals("/metrics")) {
            HttpLite.respond(peer, 404, "text/plain", "only /metrics\n");
        } else {
            HttpLite.respond(peer, 200, HttpLite.PROMETHEUS_TEXT, scrape.get());
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the metrics socket: {}", e.toString());
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove the metrics socket {}: {}", path, e.getMessage());
        }
    }
}
