package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * containerd's own runc shim on the private containerd: the reference whose outputs and exit codes the
 * jvmm shim must match once it exists (issue 5). Also proves the harness: private containerd, the offline
 * image, no leftovers.
 */
class RuncReferenceTest {
    private static final String RUNC = "io.containerd.runc.v2";
    private static PrivateContainerd containerd;

    @BeforeAll
    static void start() throws Exception {
        containerd = PrivateContainerd.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            containerd.close();
        }
    }

    private static PrivateContainerd.Result run(byte[] stdin, String id, String script) throws Exception {
        return containerd.ctr(
                stdin,
                "run",
                "--rm",
                "--snapshotter",
                "native",
                "--runtime",
                RUNC,
                PrivateContainerd.IMAGE,
                id,
                "sh",
                "-c",
                script);
    }

    @Test
    void stdoutAndExitStatusComeThrough() throws Exception {
        PrivateContainerd.Result r = run(null, "r7", "echo hello from runc; exit 7");
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("hello from runc\n");
    }

    /** A pid namespace's init ignores even SIGKILL from inside; from the host (ctr task kill) it dies. */
    @Test
    void aTaskKilledFromOutsideExitsWith128PlusTheSignal() throws Exception {
        Process running = containerd.startCtr(
                "run",
                "--rm",
                "--snapshotter",
                "native",
                "--runtime",
                RUNC,
                PrivateContainerd.IMAGE,
                "rk",
                "sleep",
                "1000");
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!containerd.ctr(null, "task", "ls").stdout().matches("(?s).*rk\\s+\\d+\\s+RUNNING.*")) {
                assertThat(System.nanoTime()).as("task rk running").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(containerd
                            .ctr(null, "task", "kill", "-s", "SIGKILL", "rk")
                            .exitCode())
                    .isZero();
            assertThat(running.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(running.exitValue()).isEqualTo(137);
        } finally {
            running.destroyForcibly();
        }
    }

    @Test
    void nothingIsLeftBehindByAFinishedRun() throws Exception {
        assertThat(run(null, "rclean", "true").exitCode()).isZero();
        assertThat(containerd.ctr(null, "containers", "ls", "-q").stdout()).doesNotContain("rclean");
        assertThat(containerd.shimSocket("default", "rclean")).doesNotExist();
    }
}
