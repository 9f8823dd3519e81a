package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.qemu.QemuVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * VM snapshots with QEMU (7.2, TCG here): a guest booted to its agent is saved once and restored into
 * new VMs that answer at once, without booting. QEMU cannot migrate vhost-user-vsock, so the vsock device
 * is unplugged before the save and a new one plugged into each restored VM; the listening agent answers
 * through it.
 */
class SnapshotTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private final List<QemuVm> vms = new ArrayList<>();
    private final List<AgentClient> agents = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        agents.forEach(AgentClient::close);
        vms.forEach(QemuVm::close);
        dirs.forEach(Leftovers::deleteTree);
    }

    private VmConfig config(int memoryMib) throws Exception {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snap");
        dirs.add(state);
        return new VmConfig(state, GuestImage.get().kernel(), GuestImage.get().initrd(), Optional.of(GuestImage.get().runtimeDisk()),
                Optional.empty(), 2, memoryMib, 3, Accel.TCG, "");
    }

    private <T extends QemuVm> T track(T vm) {
        vms.add(vm);
        return vm;
    }

    @Test
    void aSavedGuestIsRestoredTwiceAndItsAgentAnswersWithoutABoot() throws Exception {
        QemuVm template = track(new QemuVm(config(1024), false, QemuVm.DeviceSetup.SNAPSHOTTABLE));
        long coldStart = System.nanoTime();
        template.start(TIMEOUT);
        AgentClient first = GuestConnector.connect(template, TIMEOUT);
        agents.add(first);
        first.ping(Duration.ofSeconds(10));
        double coldSeconds = (System.nanoTime() - coldStart) / 1e9;

        Path snapshot = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snapfile").resolve("guest.vmstate");
        dirs.add(snapshot.getParent());
        template.saveSnapshot(snapshot, TIMEOUT);
        assertThat(template.state()).isEqualTo(VmState.PAUSED);
        assertThat(snapshot).isRegularFile();
        assertThat(snapshot.resolveSibling("guest.vmstate.partial")).doesNotExist();
        template.close();

        for (int clone = 0; clone < 2; clone++) {
            VmConfig config = config(1024);
            QemuVm restored = track(QemuVm.restoring(config, false, snapshot));
            long begin = System.nanoTime();
            restored.start(TIMEOUT);
            // No console announcement this time: the agent was listening when the guest was saved.
            AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT);
            agents.add(agent);
            agent.ping(Duration.ofSeconds(10));
            agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "clone-" + clone, new byte[32]);
            double restoreSeconds = (System.nanoTime() - begin) / 1e9;
            System.out.printf("cold boot to agent-ready %.2f s, restore to agent-ready %.2f s%n", coldSeconds, restoreSeconds);
            assertThat(restored.state()).isEqualTo(VmState.RUNNING);
        }
    }

    @Test
    void aSnapshotOnlyRestoresIntoAVmOfTheSameSize() throws Exception {
        QemuVm template = track(new QemuVm(config(512), false, QemuVm.DeviceSetup.SNAPSHOTTABLE));
        template.start(TIMEOUT);
        agents.add(GuestConnector.connect(template, TIMEOUT));
        Path snapshot = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snapfile").resolve("guest.vmstate");
        dirs.add(snapshot.getParent());
        template.saveSnapshot(snapshot, TIMEOUT);
        template.close();

        QemuVm wrongSize = track(QemuVm.restoring(config(1024), false, snapshot));
        assertThatThrownBy(() -> wrongSize.start(TIMEOUT)).isInstanceOf(VmException.class);
        assertThat(wrongSize.state().isFinal()).as("state %s", wrongSize.state()).isTrue();
        assertThat(wrongSize.exitFuture()).isDone();
    }

    @Test
    void onlyTheSnapshotLayoutCanBeSavedOrRestored() throws Exception {
        assertThatThrownBy(() -> QemuVm.restoring(config(512), false, Path.of("/nonexistent/guest.vmstate")))
                .isInstanceOf(VmException.InvalidConfig.class).hasMessageContaining("does not exist");
        QemuVm plain = track(new QemuVm(config(512), false, QemuVm.DeviceSetup.COMMAND_LINE));
        assertThatThrownBy(() -> plain.saveSnapshot(Path.of("/tmp/never.vmstate"), TIMEOUT))
                .isInstanceOf(VmException.InvalidConfig.class).hasMessageContaining("snapshottable");
    }
}
