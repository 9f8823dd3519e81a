package io.jvmm.shim.metrics;

import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The metrics' part of the server's AOT training run (ShimTraining): a registry with every kind of series,
 * served on a socket and scraped once, so a serving shim maps Micrometer's classes from the cache instead
 * of parsing them from the jars (bench-shim measures the shim's memory with and without metrics).
 */
public final class MetricsTraining {
    private MetricsTraining() {}

    /** Runs in {@code dir}, which it leaves as it found it. */
    public static void exercise(Path dir) throws IOException {
        ShimMetrics metrics = new ShimMetrics(
                LateMetrics.labels("training", "training", dir.resolve("no-bundle")),
                () -> List.of(ProcessHandle.current().pid()),
                Map::of);
        metrics.callEnded("containerd.task.v3.Task", "Connect", Code.OK, 1000);
        metrics.count(new TaskEvent.Exited("t1", "t1", 1, 0, Instant.now()));
        metrics.count(new TaskEvent.Oom("t1"));
        metrics.vmStarted(SandboxObserver.Start.BOOT, 1000, 1000);
        metrics.templateLookup(false);
        metrics.shutdownStep("agent", "exited");
        metrics.agentCall("Ping", true, 1000);
        Path socket = dir.resolve("m.sock");
        MetricsSocket served = MetricsSocket.serve(socket, metrics::scrape);
        try {
            HttpLite.getMetrics(socket, 1 << 20, Duration.ofSeconds(10));
        } finally {
            served.close();
        }
    }
}
