package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.firecracker.FirecrackerVm;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FirecrackerContractTest {
    @Test
    void bootsWithRequestsThatAllValidateAgainstTheSpec() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), f.launcher());
            try {
                vm.start(Duration.ofSeconds(10));
                assertThat(vm.state()).isEqualTo(VmState.RUNNING);
                assertThat(f.api.requests())
                        .extracting(r -> r.method() + " " + r.path())
                        .containsExactly(
                                "PUT /machine-config",
                                "PUT /boot-source",
                                "PUT /drives/runtime",
                                "PUT /vsock",
                                "PUT /actions");
                assertThat(f.api.requests())
                        .allSatisfy(r -> assertThat(r.errors()).as(r.path()).isEmpty());
                var boot = f.api.requests().get(1).body();
                assertThat(boot.get("kernel_image_path").asText()).endsWith("vmlinuz");
                assertThat(boot.get("initrd_path").asText()).endsWith("initrd.img");
                assertThat(f.api.requests().get(2).body().get("is_read_only").asBoolean())
                        .isTrue();
                assertThat(f.api.requests().get(3).body().get("uds_path").asText())
                        .isEqualTo(vm.config().vsockSocket().toString());
                assertThat(f.api.requests().get(4).body().get("action_type").asText())
                        .isEqualTo("InstanceStart");

                vm.pause(Duration.ofSeconds(5));
                vm.resume(Duration.ofSeconds(5));
                vm.pressPowerButton(Duration.ofSeconds(5));
                assertThat(f.api.requests().subList(5, 8))
                        .extracting(r -> r.method() + " " + r.path() + " " + r.body())
                        .containsExactly(
                                "PATCH /vm {\"state\":\"Paused\"}",
                                "PATCH /vm {\"state\":\"Resumed\"}",
                                "PUT /actions {\"action_type\":\"SendCtrlAltDel\"}");
                assertThat(f.api.requests())
                        .allSatisfy(r -> assertThat(r.errors()).isEmpty());
            } finally {
                vm.close();
            }
            assertThat(vm.exitFuture().get(5, TimeUnit.SECONDS).guestInitiated())
                    .isFalse();
        }
    }

    @Test
    void theMonitorsFaultMessageBecomesATypedError() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            FirecrackerVm vm = (FirecrackerVm) VmmType.FIRECRACKER.create(f.config(false), (name, cmd, sock, log) -> {
                var process = f.launcher().launch(name, cmd, sock, log);
                f.api.failNext("PUT", "/boot-source", "Invalid kernel image path");
                return process;
            });
            assertThatThrownBy(() -> vm.start(Duration.ofSeconds(10)))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessageContaining("PUT /boot-source failed (400): Invalid kernel image path");
            assertThat(vm.state()).isEqualTo(VmState.FAILED);
            assertThat(vm.exitFuture().get(5, TimeUnit.SECONDS)).isNotNull(); // the stand-in monitor was stopped
        }
    }

    @Test
    void aSharedDirectoryIsRefusedBecauseFirecrackerHasNoVirtiofs() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            assertThatThrownBy(() -> VmmType.FIRECRACKER.create(f.config(true), f.launcher()))
                    .isInstanceOf(VmException.InvalidConfig.class)
                    .hasMessageContaining("virtio-fs");
        }
    }

    @Test
    void aCpuModelIsRefusedRatherThanIgnored() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            assertThatThrownBy(() -> VmmType.FIRECRACKER.create(
                            f.config(false).withCpuModel(Optional.of("Nehalem")), f.launcher()))
                    .isInstanceOf(VmException.InvalidConfig.class)
                    .hasMessageContaining("CPU model");
        }
    }

    /** The check must be able to fail, or "every request validates" says nothing. */
    @Test
    void theSpecCheckCatchesBadBodies() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            ObjectMapper json = new ObjectMapper();
            var schema = f.spec.requestSchema(
                            f.spec.operation("PUT", "/machine-config").orElseThrow())
                    .orElseThrow();
            assertThat(f.spec.validate(schema, json.readTree("{\"vcpu_count\":2,\"mem_size_mib\":512}")))
                    .isEmpty();
            assertThat(f.spec.validate(schema, json.readTree("{\"vcpu_count\":2}")))
                    .containsExactly("$: missing required property mem_size_mib");
            assertThat(f.spec.validate(schema, json.readTree("{\"vcpu_count\":0,\"mem_size_mib\":512,\"memsize\":1}")))
                    .containsExactlyInAnyOrder(
                            "$.vcpu_count: 0 is below the minimum 1", "$: property memsize is not in the schema");
            var action = f.spec.requestSchema(
                            f.spec.operation("PUT", "/actions").orElseThrow())
                    .orElseThrow();
            assertThat(f.spec.validate(action, json.readTree("{\"action_type\":\"Reboot\"}")))
                    .hasSize(1);
            assertThat(f.spec.operation("PUT", "/no-such-thing")).isEmpty();
        }
    }
}
