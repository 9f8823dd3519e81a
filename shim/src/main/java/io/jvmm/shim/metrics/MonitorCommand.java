package io.jvmm.shim.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code containerd-shim-jvmm-v2 monitor --listen HOST:PORT}: one Prometheus endpoint for every shim of
 * the host (as kata-monitor is for Kata's): each {@code GET /metrics} asks every live shim of the state
 * root over its unix socket and serves their series together, with two of its own: how many shims
 * answered and how many did not. A long-running service (packaging's systemd unit runs it).
 */
public final class MonitorCommand {
    private static final Logger LOG = LogManager.getLogger(MonitorCommand.class);
    /** A shim's scrape is a few KiB; one far larger is not a shim's. */
    static final int MAX_SCRAPE = 4 << 20;

    static final Duration SHIM_DEADLINE = Duration.ofSeconds(2);

    private final Path stateRoot;

    public MonitorCommand(Path stateRoot) {
        this.stateRoot = stateRoot;
    }

    /** Serves until the process is ended; returns 2 on bad arguments. */
    public int run(List<String> args, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        if (args.size() != 2 || !args.getFirst().equals("--listen")) {
            err.println("usage: monitor --listen HOST:PORT");
            return 2;
        }
        InetSocketAddress address = address(args.get(1));
        HttpServer server = HttpServer.create(address, 16);
        server.setExecutor(Executors.newFixedThreadPool(
                2, r -> Thread.ofPlatform().daemon(true).name("monitor").unstarted(r)));
        server.createContext("/metrics", this::serve);
        server.start();
        out.println("jvmm monitor serving the shims of " + stateRoot + " on http://"
                + server.getAddress().getHostString() + ":"
                + server.getAddress().getPort() + "/metrics");
        out.flush();
        new CountDownLatch(1).await(); // until SIGTERM ends the JVM
        return 0;
    }

    static InetSocketAddress address(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--listen takes HOST:PORT, not " + listen);
        }
        int port = Integer.parseInt(listen.substring(colon + 1));
        String host = listen.substring(0, colon);
        return new InetSocketAddress(
                host.isEmpty() ? "0.0.0.0" : host.replace("[", "").replace("]", ""), port);
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", HttpLite.PROMETHEUS_TEXT);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        }
    }

    /** Every live shim's series, merged, and the monitor's own. */
    String scrape() throws IOException {
        ExpositionMerge merge = new ExpositionMerge();
        int answered = 0;
        int failed = 0;
        for (Path socket : MetricsSockets.list(stateRoot)) {
            try {
                merge.add(HttpLite.getMetrics(socket, MAX_SCRAPE, SHIM_DEADLINE));
                answered++;
            } catch (IOException e) {
                // A shim that ended between the listing and the call, or was killed and left its socket.
                failed++;
                LOG.debug("shim at {} did not answer: {}", socket, e.getMessage());
            }
        }
        merge.add("# HELP jvmm_monitor_shims Shims that answered this scrape\n# TYPE jvmm_monitor_shims gauge\n"
                + "jvmm_monitor_shims " + answered + "\n"
                + "# HELP jvmm_monitor_shims_unanswered Metrics sockets that did not answer this scrape\n"
                + "# TYPE jvmm_monitor_shims_unanswered gauge\n"
                + "jvmm_monitor_shims_unanswered " + failed + "\n");
        return merge.text();
    }
}
