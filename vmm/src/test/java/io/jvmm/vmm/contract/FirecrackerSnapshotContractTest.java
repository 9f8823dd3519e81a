package io.jvmm.vmm.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Firecracker snapshots through {@link VirtualMachine#saveSnapshot} and {@link VmmType#restore}: every
 * request validates against vmm-api/firecracker-api.yaml, the stand-in writes the files a real
 * Firecracker would write where the request says, and the runtime's side (partial directory, manifest,
 * commit, lease, refusals) runs for real.
 */
class FirecrackerSnapshotContractTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void aSnapshotIsCreatedPausedCommittedAndLoadedIntoANewProcess() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            GuestSnapshot snapshot = new GuestSnapshot(f.dir.resolve("t/snapshot"));
            VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), writingLauncher(f));
            try {
                vm.start(TIMEOUT);
                vm.saveSnapshot(snapshot, TIMEOUT);
                assertThat(vm.state()).isEqualTo(VmState.PAUSED);
                var saved = f.api.requests().subList(5, f.api.requests().size());
                assertThat(saved)
                        .extracting(r -> r.method() + " " + r.path())
                        .containsExactly("PATCH /vm", "PUT /snapshot/create", "GET /version");
                assertThat(saved)
                        .allSatisfy(r -> assertThat(r.errors()).as(r.path()).isEmpty());
                assertThat(saved.get(1).body().get("snapshot_type").asText()).isEqualTo("Full");
                assertThat(saved.get(1).body().get("snapshot_path").asText())
                        .as("written under the partial name, never the final one")
                        .startsWith(snapshot.partialDir().toString());
            } finally {
                vm.close();
            }
            assertThat(snapshot.exists()).isTrue();
            assertThat(Files.exists(snapshot.partialDir())).isFalse();
            GuestSnapshot.Manifest manifest = snapshot.manifest();
            assertThat(manifest.monitor()).isEqualTo("FIRECRACKER");
            assertThat(manifest.monitorVersion()).isEqualTo("1.10.0-stand-in");
            assertThat(manifest.memoryBytes()).isEqualTo(512L << 20);
            assertThat(Files.getPosixFilePermissions(snapshot.vmstate()))
                    .as("read-only once committed (root ignores the bits)")
                    .doesNotContain(PosixFilePermission.OWNER_WRITE);

            VirtualMachine clone = VmmType.FIRECRACKER.restore(f.config("clone", false), f.launcher(), snapshot);
            try {
                clone.start(TIMEOUT);
                assertThat(clone.state()).isEqualTo(VmState.RUNNING);
                assertThat(f.api.requests())
                        .extracting(r -> r.method() + " " + r.path())
                        .as("a load is the only request a fresh process gets")
                        .containsExactly("PUT /snapshot/load");
                var load = f.api.requests().getFirst();
                assertThat(load.errors()).isEmpty();
                assertThat(load.body().at("/mem_backend/backend_type").asText()).isEqualTo("File");
                assertThat(load.body().at("/mem_backend/backend_path").asText())
                        .isEqualTo(snapshot.memory().toString());
                assertThat(load.body().at("/vsock_override/uds_path").asText())
                        .isEqualTo(clone.config().vsockSocket().toString());
                assertThat(load.body().get("resume_vm").asBoolean()).isTrue();
                assertThat(snapshot.inUse()).as("the clone maps its memory").isTrue();
                assertThat(snapshot.deleteUnlessInUse()).isFalse();
            } finally {
                clone.close();
            }
            assertThat(snapshot.inUse()).isFalse();
        }
    }

    @Test
    void aFailedCreateLeavesNeitherAPartialNorASnapshot() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            GuestSnapshot snapshot = new GuestSnapshot(f.dir.resolve("t/snapshot"));
            VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), writingLauncher(f));
            try {
                vm.start(TIMEOUT);
                f.api.failNext("PUT", "/snapshot/create", "Cannot write memory file: No space left on device");
                assertThatThrownBy(() -> vm.saveSnapshot(snapshot, TIMEOUT))
                        .isInstanceOf(VmException.MonitorError.class)
                        .hasMessageContaining("No space left on device");
            } finally {
                vm.close();
            }
            assertThat(snapshot.exists()).isFalse();
            assertThat(Files.exists(snapshot.partialDir())).isFalse();
        }
    }

    @Test
    void aSnapshotIsRestoredOnlyByItsOwnMonitorAndSize() throws Exception {
        try (ContractFixture f = new ContractFixture("firecracker-api.yaml", "")) {
            GuestSnapshot snapshot = new GuestSnapshot(f.dir.resolve("t/snapshot"));
            try (VirtualMachine vm = VmmType.FIRECRACKER.create(f.config(false), writingLauncher(f))) {
                vm.start(TIMEOUT);
                vm.saveSnapshot(snapshot, TIMEOUT);
            }
            assertThatThrownBy(() -> VmmType.QEMU.restore(f.config("q", false), f.launcher(), snapshot))
                    .isInstanceOf(VmException.SnapshotMismatch.class)
                    .hasMessageContaining("saved by FIRECRACKER");
            var bigger = f.config("big", false);
            var asked = new VmConfig(
                    bigger.stateDir(),
                    bigger.kernel(),
                    bigger.initrd(),
                    bigger.runtimeDisk(),
                    bigger.shareDir(),
                    bigger.vcpus(),
                    1024,
                    bigger.guestCid(),
                    bigger.accel(),
                    bigger.extraKernelArgs());
            assertThatThrownBy(() -> VmmType.FIRECRACKER.restore(asked, f.launcher(), snapshot))
                    .isInstanceOf(VmException.SnapshotMismatch.class)
                    .hasMessageContaining("asked for 2 / 1024");
            assertThat(Files.exists(asked.stateDir()))
                    .as("refused before anything was made")
                    .isFalse();
        }
    }

    /** The stand-in answers /version and, like Firecracker, writes the two files /snapshot/create names. */
    static MonitorLauncher writingLauncher(ContractFixture f) {
        return (name, cmd, sock, log) -> {
            var process = f.launcher().launch(name, cmd, sock, log);
            f.api.answer("GET", "/version", "{\"firecracker_version\":\"1.10.0-stand-in\"}");
            f.api.onSuccess("PUT", "/snapshot/create", body -> {
                write(Path.of(body.get("snapshot_path").asText()), 4096);
                write(Path.of(body.get("mem_file_path").asText()), 512L << 20);
            });
            return process;
        };
    }

    /** A file of {@code size} bytes, sparse: what is in it does not matter to the runtime's side. */
    static void write(Path file, long size) {
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            out.setLength(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
