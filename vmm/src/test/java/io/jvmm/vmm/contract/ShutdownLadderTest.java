package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.vmm.ShutdownLadder;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmmType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ladder's bookkeeping, fast: the Firecracker stand-in monitor ignores the power button (its API
 * only records SendCtrlAltDel) and dies on SIGTERM. The rungs against a real guest are in e2e's VmLifecycleTest.
 */
class ShutdownLadderTest {
    @Test
    void everyStepIsLoggedAndReturned() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), f.launcher());
            try {
                vm.start(Duration.ofSeconds(10));
                List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                        vm,
                        ShutdownLadder.standard(
                                vm,
                                () -> {
                                    throw new IllegalStateException("agent unreachable");
                                },
                                Duration.ofMillis(50),
                                Duration.ofMillis(300),
                                Duration.ofSeconds(5)));
                assertThat(outcomes)
                        .extracting(ShutdownLadder.Outcome::step)
                        .containsExactly("agent", "power-button", "sigterm");
                assertThat(outcomes.get(0).detail()).isEqualTo("agent unreachable");
                assertThat(f.api.requests().getLast().body().get("action_type").asText())
                        .isEqualTo("SendCtrlAltDel");
                assertThat(outcomes)
                        .extracting(ShutdownLadder.Outcome::result)
                        .containsExactly("action_failed", "continued", "exited");
                assertThat(vm.exitFuture().get().monitorExitCode()).isEqualTo(143);
            } finally {
                vm.close();
            }
        }
    }
}
