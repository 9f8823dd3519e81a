package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The same shim binary under bookworm's containerd 1.6.20: 1.6 accepts only a plain address from
 * {@code start} and speaks Task v2. One container, inspected through its life.
 */
@WithPrivateContainerd(old = true)
class OldContainerdTest {
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    @Test
    void containerd16RunsAJvmmContainerExecsIntoItAndSeesItsExit() throws Exception {
        assertThat(containerd.ctr(null, "version").stdout()).contains("1.6.");
        String id = "old16";
        try (CtrRun ctr = CtrRun.start(
                containerd,
                List.of(
                        "run",
                        "--rm",
                        "--snapshotter",
                        "native",
                        "--runtime",
                        JvmmRuntime.RUNTIME,
                        PrivateContainerd.IMAGE,
                        id,
                        "sh",
                        "-c",
                        "echo hello from 1.6; sleep 1000 & wait $!"))) {
            containerd.awaitTask(id, "RUNNING", 300);
            PrivateContainerd.Result exec =
                    containerd.ctr(null, "task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in exec; exit 3");
            assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
            assertThat(exec.stdout()).isEqualTo("in exec\n");
            assertThat(containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode())
                    .isZero();
            assertThat(ctr.await(120)).as("ctr stderr: %s", ctr.stderr()).isEqualTo(137);
            assertThat(ctr.stdout()).isEqualTo("hello from 1.6\n");
        }
    }
}
