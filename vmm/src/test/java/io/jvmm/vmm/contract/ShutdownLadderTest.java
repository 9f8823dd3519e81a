package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.vmm.ShutdownLadder;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmmType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ladder's bookkeeping, fast: the Firecracker stand-in monitor ignores the power button (its API
 * only records SendCtrlAltDel) and dies on SIGTERM. The rungs against a real guest are in e2e's VmLifecycleTest.
 */
class ShutdownLadderTest {
    @Test
    void everyStepIsLoggedReturnedAndCounted() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), f.launcher());
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try {
                vm.start(Duration.ofSeconds(10));
                List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(vm, ShutdownLadder.standard(vm,
                        () -> {
                            throw new IllegalStateException("agent unreachable");
                        }, Duration.ofMillis(50), Duration.ofMillis(300), Duration.ofSeconds(5)), meters);
                assertThat(outcomes).extracting(ShutdownLadder.Outcome::step).containsExactly("agent", "power-button", "sigterm");
                assertThat(outcomes.get(0).detail()).isEqualTo("agent unreachable");
                assertThat(f.api.requests().getLast().body().get("action_type").asText()).isEqualTo("SendCtrlAltDel");
                assertThat(count(meters, "agent", "action_failed")).isEqualTo(1);
                assertThat(count(meters, "power-button", "continued")).isEqualTo(1);
                assertThat(count(meters, "sigterm", "exited")).isEqualTo(1);
                assertThat(meters.find("jvmm.vm.shutdown.steps").tag("step", "sigkill").counter()).isNull();
                assertThat(vm.exitFuture().get().monitorExitCode()).isEqualTo(143);
            } finally {
                vm.close();
            }
        }
    }

    private static double count(SimpleMeterRegistry meters, String step, String result) {
        return meters.get("jvmm.vm.shutdown.steps").tag("step", step).tag("result", result).counter().count();
    }
}
