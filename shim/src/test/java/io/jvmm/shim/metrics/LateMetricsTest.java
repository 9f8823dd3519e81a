package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.nio.file.Files;
import java.nio.file.Path;
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
        try (LateMetrics metrics = LateMetrics.start("s1", "default", dir.resolve("no-bundle"), socket, List::of)) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(socket).exists();
            metrics.counting(published::add).publish(new TaskEvent.Oom("c1"));
            metrics.callEnded("containerd.task.v2.Task", "State", Code.OK, 1000);
            metrics.vmStarted(SandboxObserver.Start.BOOT, 1, 1);
        }
        assertThat(published).hasSize(1);
        assertThat(socket).doesNotExist();
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
