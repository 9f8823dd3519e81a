package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A jvmm shim outlives a restart of containerd: containerd finds it again from the bundle's bootstrap
 * file, and the task keeps running, takes execs, and is killed and deleted as before.
 */
@WithPrivateContainerd
class ContainerdRestartTest {
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    private static void await(String id, String status) throws Exception {
        containerd.awaitTask(id, status, 300);
    }

    @Test
    void aRunningTaskSurvivesARestartOfContainerd() throws Exception {
        String id = "survivor";
        PrivateContainerd.Result run = containerd.ctr(
                null,
                "run",
                "-d",
                "--snapshotter",
                "native",
                "--runtime",
                JvmmRuntime.RUNTIME,
                PrivateContainerd.IMAGE,
                id,
                "sleep",
                "1000");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        await(id, "RUNNING");
        List<ProcessHandle> shims =
                Leftovers.processesMentioning(containerd.socket().toString());
        assertThat(shims).hasSize(1);

        containerd.restart();

        await(id, "RUNNING");
        assertThat(Leftovers.processesMentioning(containerd.socket().toString()))
                .as("the same shim, not a new one")
                .extracting(ProcessHandle::pid)
                .containsExactly(shims.get(0).pid());
        PrivateContainerd.Result exec =
                containerd.ctr(null, "task", "exec", "--exec-id", "after", id, "sh", "-c", "echo still here; exit 3");
        assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
        assertThat(exec.stdout()).isEqualTo("still here\n");

        assertThat(containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode())
                .isZero();
        await(id, "STOPPED");
        assertThat(containerd.ctr(null, "task", "delete", id).exitCode()).isZero();
        assertThat(containerd.ctr(null, "containers", "delete", id).exitCode()).isZero();
        assertThat(shims.get(0).onExit().get(60, TimeUnit.SECONDS).isAlive())
                .as("the shim exits after its last task")
                .isFalse();
    }
}
