package io.jvmm.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP a VM's container disks take, against a scripted monitor (real QEMU: PodTest, TemplateTest). */
class ContainerDisksTest {
    private static final Duration CALL = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private ContainerDisks disks(QmpClient qmp) throws IOException {
        VmConfig config = new VmConfig(
                dir.resolve("state"),
                Files.writeString(dir.resolve("vmlinuz"), "k"),
                Files.writeString(dir.resolve("initrd.img"), "i"),
                Optional.empty(),
                Optional.empty(),
                1,
                256,
                3,
                Accel.TCG,
                "");
        return new ContainerDisks(qmp, new QemuConfinement(config), "rp-fs");
    }

    @Test
    void aPodsDisksShareOneControllerPluggedOnceAndLeaveWithTheirNodes() throws Exception {
        try (ScriptedMonitor monitor = ScriptedMonitor.acceptingAll(dir.resolve("qmp.sock"));
                QmpClient qmp = QmpClient.connect(monitor.socket, CALL)) {
            ContainerDisks disks = disks(qmp);
            disks.plugPod(dir.resolve("a.img"), "jd-aaaa", CALL);
            disks.plugPod(dir.resolve("b.img"), "jd-bbbb", CALL);
            disks.unplugPod("jd-aaaa", CALL);
            disks.unplugPod("jd-aaaa", CALL); // unplugged already: nothing sent

            assertThat(monitor.commands())
                    .containsExactly(
                            "device_add",
                            "blockdev-add",
                            "device_add", // the controller, then a's node and disk
                            "blockdev-add",
                            "device_add", // b's
                            "device_del",
                            "blockdev-del"); // a's, once
            assertThat(monitor.received.get(1))
                    .contains("\"driver\":\"virtio-scsi-pci\"")
                    .contains("\"bus\":\"rp-fs\"");
            assertThat(monitor.received.get(3))
                    .contains("\"driver\":\"scsi-hd\"")
                    .contains("\"serial\":\"jd-aaaa\"")
                    .contains("\"bus\":\"pod-scsi.0\"");
            // The same serial twice, a serial QMP ids cannot carry, and a lone disk beside a pod's: refused.
            assertThatThrownBy(() -> disks.plugPod(dir.resolve("c.img"), "jd-bbbb", CALL))
                    .isInstanceOf(VmException.InvalidConfig.class);
            assertThatThrownBy(() -> disks.plugPod(dir.resolve("c.img"), "../x", CALL))
                    .isInstanceOf(VmException.InvalidConfig.class);
            assertThatThrownBy(() -> disks.plugLone(dir.resolve("c.img"), "jvmm-rootfs", CALL))
                    .isInstanceOf(VmException.InvalidConfig.class);
            assertThat(monitor.commands()).hasSize(7);
        }
    }

    @Test
    void aDiskQemuRefusesLeavesNoNodeBehind() throws Exception {
        try (ScriptedMonitor monitor = new ScriptedMonitor(
                        dir.resolve("qmp.sock"),
                        line -> line.contains("scsi-hd")
                                ? List.of(
                                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no room\"}, \"id\": $ID}")
                                : List.of("{\"return\": {}, \"id\": $ID}"));
                QmpClient qmp = QmpClient.connect(monitor.socket, CALL)) {
            ContainerDisks disks = disks(qmp);
            assertThatThrownBy(() -> disks.plugPod(dir.resolve("a.img"), "jd-aaaa", CALL))
                    .hasMessageContaining("no room");
            assertThat(monitor.commands()).containsExactly("device_add", "blockdev-add", "device_add", "blockdev-del");
            // Not plugged: unplugging it sends nothing.
            disks.unplugPod("jd-aaaa", CALL);
            assertThat(monitor.commands()).hasSize(4);
        }
    }

    @Test
    void aLoneDiskIsTheOnlyOne() throws Exception {
        try (ScriptedMonitor monitor = ScriptedMonitor.acceptingAll(dir.resolve("qmp.sock"));
                QmpClient qmp = QmpClient.connect(monitor.socket, CALL)) {
            ContainerDisks disks = disks(qmp);
            disks.plugLone(dir.resolve("root.img"), "jvmm-rootfs", CALL);
            assertThat(monitor.received.get(2))
                    .contains("\"driver\":\"virtio-blk-pci\"")
                    .contains("\"id\":\"rootfs0-dev\"");
            assertThatThrownBy(() -> disks.plugLone(dir.resolve("root.img"), "jvmm-rootfs", CALL))
                    .isInstanceOf(VmException.InvalidConfig.class);
            assertThatThrownBy(() -> disks.plugPod(dir.resolve("a.img"), "jd-aaaa", CALL))
                    .isInstanceOf(VmException.InvalidConfig.class);
        }
    }

    /**
     * QEMU 7.2 answers device_del before the disk is gone and refuses the node's delete until then (seen with
     * the real QEMU; PodTemplateTest found the image left open): the delete is retried until it goes.
     */
    @Test
    void theNodeIsDeletedOnceTheDeviceHasGone() throws Exception {
        AtomicInteger refusals = new AtomicInteger(2);
        try (ScriptedMonitor monitor = new ScriptedMonitor(
                        dir.resolve("qmp.sock"),
                        line -> line.contains("blockdev-del") && refusals.getAndDecrement() > 0
                                ? List.of(
                                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Node pd-jd-aaaa is in use\"},"
                                                + " \"id\": $ID}")
                                : List.of("{\"return\": {}, \"id\": $ID}"));
                QmpClient qmp = QmpClient.connect(monitor.socket, CALL)) {
            ContainerDisks disks = disks(qmp);
            disks.plugPod(dir.resolve("a.img"), "jd-aaaa", CALL);
            disks.unplugPod("jd-aaaa", CALL);
            assertThat(monitor.commands())
                    .containsExactly(
                            "device_add",
                            "blockdev-add",
                            "device_add",
                            "device_del",
                            "blockdev-del",
                            "blockdev-del",
                            "blockdev-del");
        }
    }
}
