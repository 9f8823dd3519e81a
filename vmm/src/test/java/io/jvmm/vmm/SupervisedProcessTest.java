package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child processes: they die with the JVM, not with the thread that happened to start them. */
class SupervisedProcessTest {
    @Test
    void aChildOutlivesTheThreadThatStartedIt(@TempDir Path dir) throws Exception {
        AtomicReference<SupervisedProcess> started = new AtomicReference<>();
        Thread starter = Thread.ofPlatform()
                .start(() -> started.set(
                        SupervisedProcess.start("sleeper", List.of("sleep", "60"), dir.resolve("sleeper.log"))));
        starter.join();
        try (SupervisedProcess sleeper = started.get()) {
            // The parent-death signal, were it tied to the starting thread, arrives as that thread ends.
            assertThat(sleeper.waitFor(Duration.ofMillis(500)))
                    .as("exited after its starting thread ended")
                    .isFalse();
            assertThat(sleeper.isAlive()).isTrue();
            assertThat(Files.readString(Path.of("/proc", Long.toString(sleeper.pid()), "status")))
                    .as("the pid is sleep itself (setpriv execs it)")
                    .containsPattern("(?m)^Name:\\s+sleep");
        }
    }

    /**
     * A helper with a child of its own (virtiofsd's sandboxed server): killing the helper ends the child
     * first, while the helper lives to reap it. Before, the child was orphaned (alive, or a zombie for PID
     * 1 to reap), and kept the VM's cgroup leaf from being removed.
     */
    @Test
    void killingAHelperEndsItsChildrenBeforeIt(@TempDir Path dir) throws Exception {
        SupervisedProcess helper = SupervisedProcess.start(
                "parent",
                List.of("sh", "-c", "sleep 300 & echo $! > " + dir.resolve("child") + "; wait"),
                dir.resolve("log"));
        Path childFile = dir.resolve("child");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((!Files.exists(childFile) || Files.readString(childFile).isBlank()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long child = Long.parseLong(Files.readString(childFile).strip());
        assertThat(Path.of("/proc", Long.toString(child))).exists();

        helper.kill();

        assertThat(helper.isAlive()).isFalse();
        assertThat(Path.of("/proc", Long.toString(child)))
                .as("the child, ended and reaped by its parent rather than orphaned")
                .doesNotExist();
    }
}
