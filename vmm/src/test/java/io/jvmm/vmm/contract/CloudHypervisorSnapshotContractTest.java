package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Cloud Hypervisor snapshots through {@link VirtualMachine#saveSnapshot} and {@link VmmType#restore},
 * against vmm-api/cloud-hypervisor-api.yaml. The stand-in writes what Cloud Hypervisor writes into the
 * destination directory: config.json (the VM's configuration, here the recorded vm.create body),
 * state.json and memory-ranges.
 */
class CloudHypervisorSnapshotContractTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/api/v1/";

    @Test
    void aSnapshotIsWrittenByTheMonitorAndRestoredWithTheClonesOwnSockets() throws Exception {
        try (ContractFixture f = new ContractFixture("cloud-hypervisor-api.yaml", "/api/v1")) {
            GuestSnapshot snapshot = new GuestSnapshot(f.dir.resolve("t/snapshot"));
            VirtualMachine vm = VmmType.CLOUD_HYPERVISOR.create(f.config(false), writingLauncher(f));
            try {
                vm.start(TIMEOUT);
                vm.saveSnapshot(snapshot, TIMEOUT);
                assertThat(vm.state()).isEqualTo(VmState.PAUSED);
                var saved = f.api.requests().subList(3, f.api.requests().size());
                assertThat(saved)
                        .extracting(r -> r.method() + " " + r.path())
                        .containsExactly(
                                "PUT " + API + "vm.pause", "PUT " + API + "vm.snapshot", "GET " + API + "vmm.ping");
                assertThat(saved)
                        .allSatisfy(r -> assertThat(r.errors()).as(r.path()).isEmpty());
                assertThat(saved.get(1).body().get("destination_url").asText())
                        .isEqualTo("file://" + snapshot.partialDir());
            } finally {
                vm.close();
            }
            GuestSnapshot.Manifest manifest = snapshot.manifest();
            assertThat(manifest.monitor()).isEqualTo("CLOUD_HYPERVISOR");
            assertThat(manifest.monitorVersion()).isEqualTo("v44.0-stand-in");
            assertThat(snapshot.stateFiles(VmmType.CLOUD_HYPERVISOR))
                    .allSatisfy(p -> assertThat(p).isRegularFile());
            assertThat(Files.exists(snapshot.partialDir())).isFalse();

            VirtualMachine clone = VmmType.CLOUD_HYPERVISOR.restore(f.config("clone", false), f.launcher(), snapshot);
            try {
                clone.start(TIMEOUT);
                assertThat(clone.state()).isEqualTo(VmState.RUNNING);
                assertThat(f.api.requests())
                        .extracting(r -> r.method() + " " + r.path())
                        .containsExactly("GET " + API + "vmm.ping", "PUT " + API + "vm.restore");
                var restore = f.api.requests().get(1);
                assertThat(restore.errors()).isEmpty();
                assertThat(restore.body().get("memory_restore_mode").asText()).isEqualTo("OnDemand");
                assertThat(restore.body().get("resume").asBoolean()).isTrue();
                Path source =
                        Path.of(URI.create(restore.body().get("source_url").asText()));
                assertThat(source).startsWith(clone.config().stateDir());
                JsonNode config = JSON.readTree(source.resolve("config.json").toFile());
                assertThat(config.at("/vsock/socket").asText())
                        .isEqualTo(clone.config().vsockSocket().toString());
                assertThat(config.at("/vsock/cid").asInt())
                        .as("the rest as saved")
                        .isEqualTo(3);
                assertThat(config.at("/serial/file").asText())
                        .isEqualTo(clone.config().consoleLog().toString());
                assertThat(Files.readSymbolicLink(source.resolve("memory-ranges")))
                        .isEqualTo(snapshot.memoryFile(VmmType.CLOUD_HYPERVISOR));
                assertThat(snapshot.inUse()).isTrue();
            } finally {
                clone.close();
            }
            assertThat(snapshot.inUse()).isFalse();
        }
    }

    @Test
    void aRestoredVmCannotHaveAShareAndASharedVmCannotBeSaved() throws Exception {
        try (ContractFixture f = new ContractFixture("cloud-hypervisor-api.yaml", "/api/v1")) {
            GuestSnapshot snapshot = new GuestSnapshot(f.dir.resolve("t/snapshot"));
            try (VirtualMachine shared =
                    VmmType.CLOUD_HYPERVISOR.create(f.config("shared", true), writingLauncher(f))) {
                shared.start(TIMEOUT);
                assertThatThrownBy(() -> shared.saveSnapshot(snapshot, TIMEOUT))
                        .isInstanceOf(VmException.InvalidConfig.class)
                        .hasMessageContaining("virtiofs share");
                assertThat(shared.state())
                        .as("refused before anything was asked")
                        .isEqualTo(VmState.RUNNING);
            }
            try (VirtualMachine vm = VmmType.CLOUD_HYPERVISOR.create(f.config(false), writingLauncher(f))) {
                vm.start(TIMEOUT);
                vm.saveSnapshot(snapshot, TIMEOUT);
            }
            assertThatThrownBy(() -> VmmType.CLOUD_HYPERVISOR.restore(f.config("clone", true), f.launcher(), snapshot))
                    .isInstanceOf(VmException.InvalidConfig.class)
                    .hasMessageContaining("virtiofs share");
            assertThatThrownBy(() -> VmmType.FIRECRACKER.restore(f.config("fc", false), f.launcher(), snapshot))
                    .isInstanceOf(VmException.SnapshotMismatch.class)
                    .hasMessageContaining("saved by CLOUD_HYPERVISOR");
        }
    }

    /** The stand-in answers vmm.ping and, like Cloud Hypervisor, fills vm.snapshot's destination directory. */
    private static MonitorLauncher writingLauncher(ContractFixture f) {
        return (name, cmd, sock, log) -> {
            var process = f.launcher().launch(name, cmd, sock, log);
            RecordingApiServer api = f.api;
            api.answer("GET", API + "vmm.ping", "{\"version\":\"v44.0-stand-in\"}");
            api.onSuccess("PUT", API + "vm.snapshot", body -> {
                Path dir = Path.of(URI.create(body.get("destination_url").asText()));
                JsonNode created = api.requests().stream()
                        .filter(r -> r.path().endsWith("vm.create"))
                        .findFirst()
                        .orElseThrow()
                        .body();
                try {
                    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(created));
                    Files.writeString(dir.resolve("state.json"), "{\"snapshots\":[]}");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                FirecrackerSnapshotContractTest.write(dir.resolve("memory-ranges"), 512L << 20);
            });
            return process;
        };
    }
}
