package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.qemu.DeviceSetup;
import io.jvmm.vmm.qemu.QemuVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * VM snapshots with QEMU (7.2, TCG here): a guest booted to its agent is saved once (device state plus
 * the file its memory lived in) and restored into new VMs that answer at once, without booting. The
 * snapshot layout reaches the agent over a virtio-serial port, so clones need no shared memory: they map
 * the snapshot's memory copy-on-write and share its pages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final int MEMORY_MIB = 768;
    private static final int CLONES = 20;
    private final List<QemuVm> vms = new CopyOnWriteArrayList<>();
    private final List<AgentClient> agents = new CopyOnWriteArrayList<>();
    private final List<Path> dirs = new CopyOnWriteArrayList<>();
    private GuestSnapshot snapshot;
    private long coldPssBytes;
    private double coldSeconds;

    /** One template for every test: booted to its agent, measured, saved. */
    @BeforeAll
    void saveATemplate() throws Exception {
        QemuVm template = new QemuVm(config(MEMORY_MIB, Optional.empty()), false, DeviceSetup.SNAPSHOTTABLE);
        try {
            long begin = System.nanoTime();
            template.start(TIMEOUT);
            try (AgentClient agent = GuestConnector.connect(template, TIMEOUT)) {
                agent.ping(Duration.ofSeconds(10));
                coldSeconds = (System.nanoTime() - begin) / 1e9;
                coldPssBytes = template.hostMemoryPssBytes();
            }
            Path where = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snapfile");
            dirs.add(where);
            snapshot = new GuestSnapshot(where.resolve("template"));
            template.saveSnapshot(snapshot, TIMEOUT);
            assertThat(template.state()).isEqualTo(VmState.PAUSED);
        } finally {
            template.close();
        }
    }

    @AfterEach
    void closeVms() {
        agents.forEach(AgentClient::close);
        agents.clear();
        vms.forEach(QemuVm::close);
        vms.clear();
    }

    @AfterAll
    void removeFiles() {
        dirs.forEach(Leftovers::deleteTree);
    }

    private VmConfig config(int memoryMib, Optional<Path> share) throws Exception {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snap");
        dirs.add(state);
        return new VmConfig(
                state,
                GuestImage.get().kernel(),
                GuestImage.get().initrd(),
                Optional.of(GuestImage.get().runtimeDisk()),
                share,
                1,
                memoryMib,
                3,
                Accel.TCG,
                "");
    }

    private QemuVm track(QemuVm vm) {
        vms.add(vm);
        return vm;
    }

    @Test
    void theSnapshotIsWholeReadOnlyAndDescribedByItsManifest() throws Exception {
        assertThat(snapshot.partialDir()).doesNotExist();
        for (Path file : List.of(snapshot.vmstate(), snapshot.memory(), snapshot.manifestFile())) {
            assertThat(file).isRegularFile();
            assertThat(Files.getPosixFilePermissions(file))
                    .as("%s is read-only", file)
                    .noneMatch(p -> p.name().endsWith("_WRITE"));
        }
        GuestSnapshot.Manifest manifest = snapshot.manifest();
        assertThat(manifest.format()).isEqualTo(GuestSnapshot.FORMAT);
        assertThat(manifest.memoryMib()).isEqualTo(MEMORY_MIB);
        assertThat(manifest.monitorVersion()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(manifest.memoryBytes()).isEqualTo(MEMORY_MIB * 1024L * 1024L);
    }

    /**
     * Twenty clones at once: each answers without a boot, each gets its own identity from the kernel's
     * reseeded CSPRNG (a machine id read from /dev/urandom after SetupGuest: equal ids would mean equal
     * random streams), and together they hold much less memory than as many cold-booted guests.
     */
    @Test
    void twentyClonesShareTheTemplatesMemoryAndEachDrawsItsOwnRandomness() throws Exception {
        List<Double> restoreSeconds = new CopyOnWriteArrayList<>();
        List<String> machineIds = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLONES);
        try {
            List<Future<?>> started = new ArrayList<>();
            for (int i = 0; i < CLONES; i++) {
                int clone = i;
                started.add(pool.submit(() -> {
                    VmConfig config = config(MEMORY_MIB, Optional.empty());
                    QemuVm vm = track(QemuVm.restoring(config, false, snapshot));
                    long begin = System.nanoTime();
                    vm.start(TIMEOUT);
                    AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT);
                    agents.add(agent);
                    byte[] entropy = new byte[64];
                    new SecureRandom().nextBytes(entropy);
                    machineIds.add(
                            agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "clone-" + clone, entropy));
                    restoreSeconds.add((System.nanoTime() - begin) / 1e9);
                    assertThat(vm.sharesSnapshotMemory()).isTrue();
                    return null;
                }));
            }
            for (Future<?> f : started) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Set<String> distinct = new HashSet<>(machineIds);
        assertThat(machineIds).hasSize(CLONES).allMatch(id -> id.matches("[0-9a-f]{32}"));
        assertThat(distinct)
                .as("machine ids drawn from each clone's /dev/urandom")
                .hasSize(CLONES);
        assertThat(vms).as("every clone still runs").allMatch(vm -> vm.state() == VmState.RUNNING);
        long clonePss = vms.stream().mapToLong(QemuVm::hostMemoryPssBytes).sum() / CLONES;
        System.out.printf(
                "cold boot to agent-ready %.2f s, PSS %d MiB; %d clones at once: restore to agent-ready %s s, mean PSS %d MiB%n",
                coldSeconds,
                coldPssBytes >> 20,
                CLONES,
                restoreSeconds.stream()
                        .sorted()
                        .map(s -> String.format("%.1f", s))
                        .toList(),
                clonePss >> 20);
        assertThat(clonePss).as("mean clone PSS vs a cold-booted guest's").isLessThan(coldPssBytes / 2);
    }

    @Test
    void aCloneWithAShareRunsOnItsOwnCopyAndMountsTheShare() throws Exception {
        Path share = Files.createTempDirectory(Path.of("/tmp"), "jvmm-share");
        dirs.add(share);
        VmConfig config = config(MEMORY_MIB, Optional.of(share));
        QemuVm vm = track(QemuVm.restoring(config, false, snapshot));
        vm.start(TIMEOUT);
        assertThat(vm.sharesSnapshotMemory())
                .as("vhost-user needs shared memory")
                .isFalse();
        AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT);
        agents.add(agent);
        // Fails unless the virtiofs share plugged after the restore mounts in the guest.
        String id = agent.setupRestoredGuest(
                System.currentTimeMillis() * 1_000_000L, "with-share", new byte[32], "jvmm", "");
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(snapshot.verifyFor(config(MEMORY_MIB, Optional.empty()), VmmType.QEMU)
                        .memoryMib())
                .as("the snapshot is unchanged by a clone that wrote its own copy")
                .isEqualTo(MEMORY_MIB);
    }

    @Test
    void aSnapshotThatDoesNotFitIsRefusedBeforeAnythingStarts() throws Exception {
        assertThatThrownBy(() -> QemuVm.restoring(config(1024, Optional.empty()), false, snapshot))
                .isInstanceOf(VmException.SnapshotMismatch.class)
                .hasMessageContaining("768 MiB");
        Path copy = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snapcopy").resolve("template");
        dirs.add(copy.getParent());
        Files.createDirectories(copy);
        for (Path file : List.of(snapshot.vmstate(), snapshot.memory(), snapshot.manifestFile())) {
            Files.copy(file, copy.resolve(file.getFileName()));
        }
        GuestSnapshot tampered = new GuestSnapshot(copy);
        byte[] state = Files.readAllBytes(tampered.vmstate());
        state[state.length / 2] ^= 1;
        tampered.vmstate().toFile().setWritable(true);
        Files.write(tampered.vmstate(), state);
        assertThatThrownBy(() -> QemuVm.restoring(config(MEMORY_MIB, Optional.empty()), false, tampered))
                .isInstanceOf(VmException.SnapshotMismatch.class)
                .hasMessageContaining("device state");
        assertThatThrownBy(() -> QemuVm.restoring(
                        config(MEMORY_MIB, Optional.empty()), false, new GuestSnapshot(Path.of("/nonexistent/x"))))
                .isInstanceOf(VmException.SnapshotMismatch.class)
                .hasMessageContaining("manifest");
    }

    @Test
    void onlyABootedVmInTheSnapshotLayoutCanBeSaved() throws Exception {
        QemuVm plain = track(new QemuVm(config(512, Optional.empty()), false, DeviceSetup.COMMAND_LINE));
        assertThatThrownBy(() -> plain.saveSnapshot(new GuestSnapshot(Path.of("/tmp/never")), TIMEOUT))
                .isInstanceOf(VmException.InvalidConfig.class)
                .hasMessageContaining("snapshottable");
        QemuVm clone = track(QemuVm.restoring(config(MEMORY_MIB, Optional.empty()), false, snapshot));
        assertThatThrownBy(() -> clone.saveSnapshot(new GuestSnapshot(Path.of("/tmp/never")), TIMEOUT))
                .isInstanceOf(VmException.InvalidConfig.class);
    }
}
