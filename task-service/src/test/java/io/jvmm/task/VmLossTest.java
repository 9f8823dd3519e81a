package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Part of a running VM goes away for good while its containers run: the VM is stopped (not left running
 * unseen) and every process reported killed, once.
 */
class VmLossTest extends TaskFixtureTest {
    /** The agent's connection breaks (the VM runs on). Before, only the exits were reported and the VM ran on. */
    @Test
    void aLostAgentConnectionStopsTheVmAndReportsItsProcessesKilled() throws Exception {
        f.createAndStart("c1");
        f.guest.die(); // the connection, not the VM
        assertThat(f.awaitExit("c1", "")).isEqualTo(137);
        f.awaitSandboxCall("stop");
        assertThat(f.sandbox.calls).containsOnlyOnce("stop");
        assertThat(f.sandbox.isBooted()).isFalse();
    }

    /**
     * virtiofsd (the containers' files) or vhost-device-vsock ends while the VM runs. Before, nothing
     * watched the helpers: the containers ran on with their files failing.
     */
    @Test
    void aHelperThatEndsStopsTheVmAndItsProcessesAreReportedKilled() throws Exception {
        f.createAndStart("c1");
        f.createAndStart("c2");
        f.sandbox.helperLost.complete("virtiofsd (pid 7) exited with 137");
        f.awaitSandboxCall("stop");
        assertThat(f.sandbox.calls).containsOnlyOnce("stop");
        assertThat(f.awaitExit("c1", "")).isEqualTo(137);
        assertThat(f.awaitExit("c2", "")).isEqualTo(137);
        assertThat(f.tasks.delete("c1", "").exit().status()).isEqualTo(137);
    }
}
