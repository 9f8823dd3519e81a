package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.PodName;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LateMetricsTest {
    @TempDir
    Path dir;

    @Test
    void theRegistryComesUpOnItsOwnThreadAndItsSocketGoesWithIt() throws Exception {
        Path socket = dir.resolve("metrics").resolve("s.sock");
        Files.createDirectories(socket.getParent());
        List<TaskEvent> published = new ArrayList<>();
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{}");
        try (LateMetrics metrics = LateMetrics.start("s1", "default", bundle, socket, List::of)) {
            awaitFile(socket);
            metrics.counting(published::add).publish(new TaskEvent.Oom("c1"));
            metrics.callEnded("containerd.task.v2.Task", "State", Code.OK, 1000);
            metrics.vmStarted(SandboxObserver.Start.BOOT, 1, 1);
        }
        assertThat(published).hasSize(1);
        assertThat(socket).doesNotExist();
    }

    /**
     * A sandbox of the Sandbox service (no spec in its bundle): the registry waits for CreateSandbox's pod
     * name, every series then carries it, and what ended before (containerd's first calls) is counted.
     */
    @Test
    void aSandboxServiceShimsSeriesCarryThePodCreateSandboxNamedAndItsEarlyCalls() throws Exception {
        Path socket = dir.resolve("metrics").resolve("p.sock");
        Files.createDirectories(socket.getParent());
        try (LateMetrics metrics = LateMetrics.start("p1", "k8s.io", dir.resolve("no-spec"), socket, List::of)) {
            metrics.callEnded("containerd.task.v3.Task", "Connect", Code.OK, 1000);
            metrics.callEnded("containerd.runtime.sandbox.v1.Sandbox", "CreateSandbox", Code.OK, 1000);
            Thread.sleep(300);
            assertThat(socket).as("no series before the pod has its name").doesNotExist();
            metrics.podCreated(new PodName("web", "shop"));
            awaitFile(socket);
            metrics.callEnded("containerd.runtime.sandbox.v1.Sandbox", "StartSandbox", Code.OK, 1000);
            String text = HttpLite.getMetrics(socket, 1 << 20, Duration.ofSeconds(5));
            List<String> calls = text.lines()
                    .filter(l -> l.startsWith("jvmm_ttrpc_calls_seconds_count{"))
                    .toList();
            assertThat(calls)
                    .as(text)
                    .hasSize(3)
                    .allSatisfy(l -> assertThat(l)
                            .contains("sandbox_id=\"p1\"", "pod_name=\"web\"", "pod_namespace=\"shop\"")
                            .endsWith(" 1"));
            assertThat(String.join("\n", calls)).contains("method=\"Connect\"", "method=\"CreateSandbox\"");
        }
    }

    @Test
    void aShimServingNoMetricsKeepsNothingOnceClosed() {
        LateMetrics metrics =
                LateMetrics.start("p2", "k8s.io", dir.resolve("no-spec"), dir.resolve("never.sock"), List::of);
        metrics.close();
        for (int i = 0; i < LateMetrics.EARLY_LIMIT * 2; i++) {
            metrics.callEnded("containerd.task.v3.Task", "State", Code.OK, 1000);
        }
        assertThat(dir.resolve("never.sock")).doesNotExist();
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(file).exists();
    }

    @Test
    void offItPassesEventsOnAndServesNothing() {
        List<TaskEvent> published = new ArrayList<>();
        try (LateMetrics metrics = LateMetrics.none()) {
            TaskEvent exit = new TaskEvent.Exited("c1", "c1", 10, 0, Instant.now());
            metrics.counting(published::add).publish(exit);
            metrics.callEnded("containerd.task.v2.Task", "State", Code.OK, 1000);
            metrics.agentCall("Ping", true, 1000);
            metrics.shutdownStep("agent", "exited");
            assertThat(published).containsExactly(exit);
        }
    }
}
