package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmException.InvalidConfig;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CloudHypervisorContractTest {
    @Test
    void aCpuModelIsRefusedRatherThanIgnored() throws Exception {
        try (ContractFixture f = new ContractFixture("cloud-hypervisor-api.yaml", "/api/v1")) {
            assertThatThrownBy(() -> VmmType.CLOUD_HYPERVISOR.create(
                            f.config(false).withCpuModel(Optional.of("Nehalem")), f.launcher()))
                    .isInstanceOf(InvalidConfig.class)
                    .hasMessageContaining("CPU model");
        }
    }

    @Test
    void createsAndBootsWithAVmConfigThatValidatesAgainstTheSpec() throws Exception {
        try (ContractFixture f = new ContractFixture("cloud-hypervisor-api.yaml", "/api/v1")) {
            VirtualMachine vm = VmmType.CLOUD_HYPERVISOR.create(f.config(true), (name, cmd, sock, log) -> {
                var process = f.launcher().launch(name, cmd, sock, log);
                f.api.answer("GET", "/api/v1/vmm.ping", "{\"version\":\"stand-in\"}");
                return process;
            });
            try {
                vm.start(Duration.ofSeconds(10));
                assertThat(vm.state()).isEqualTo(VmState.RUNNING);
                assertThat(f.api.requests())
                        .extracting(r -> r.method() + " " + r.path())
                        .containsExactly("GET /api/v1/vmm.ping", "PUT /api/v1/vm.create", "PUT /api/v1/vm.boot");
                assertThat(f.api.requests())
                        .allSatisfy(r -> assertThat(r.errors()).as(r.path()).isEmpty());
                var create = f.api.requests().get(1).body();
                assertThat(create.at("/memory/size").asLong()).isEqualTo(512L << 20);
                assertThat(create.at("/memory/shared").asBoolean())
                        .as("vhost-user-fs needs shared memory")
                        .isTrue();
                assertThat(create.at("/fs/0/tag").asText()).isEqualTo("jvmm");
                assertThat(create.at("/vsock/socket").asText())
                        .isEqualTo(vm.config().vsockSocket().toString());
                assertThat(create.at("/disks/0/readonly").asBoolean()).isTrue();
                // virtiofsd really runs as the VM's helper, under the same supervision as with QEMU.
                assertThat(Files.exists(vm.config().virtiofsSocket())).isTrue();

                vm.pause(Duration.ofSeconds(5));
                vm.resume(Duration.ofSeconds(5));
                vm.pressPowerButton(Duration.ofSeconds(5));
                assertThat(f.api.requests().subList(3, 6))
                        .extracting(r -> r.method() + " " + r.path())
                        .isEqualTo(List.of(
                                "PUT /api/v1/vm.pause", "PUT /api/v1/vm.resume", "PUT /api/v1/vm.power-button"));
                assertThat(f.api.requests())
                        .allSatisfy(r -> assertThat(r.errors()).isEmpty());
            } finally {
                vm.close();
            }
            assertThat(Files.exists(vm.config().virtiofsSocket())).isFalse();
        }
    }
}
