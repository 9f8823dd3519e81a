package io.jvmm.vmm.qemu;

import io.jvmm.vmm.GuestNic;
import io.jvmm.vmm.GuestNic.PodTap;
import io.jvmm.vmm.VmConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The QMP commands that add a paused VM's devices (the same devices the command line would give), and
 * that plug the share and the card into a VM in the snapshot layout.
 */
final class QmpDevices {
    private QmpDevices() {}

    static void plugAll(QmpClient qmp, VmConfig config, Duration timeout) {
        plugVsock(qmp, config, QemuCommandLine.ROOT_PORTS.get(0), timeout);
        config.runtimeDisk().ifPresent(disk -> {
            qmp.execute(
                    "blockdev-add",
                    Map.of(
                            "driver",
                            "raw",
                            "node-name",
                            "runtime",
                            "read-only",
                            true,
                            "file",
                            Map.of("driver", "file", "filename", disk.toString(), "read-only", true)),
                    timeout);
            qmp.execute(
                    "device_add",
                    Map.of(
                            "driver",
                            "virtio-blk-pci",
                            "id",
                            "runtime0",
                            "drive",
                            "runtime",
                            "bus",
                            QemuCommandLine.ROOT_PORTS.get(1)),
                    timeout);
        });
        if (config.shareDir().isPresent()) {
            plugShare(qmp, config, QemuCommandLine.ROOT_PORTS.get(2), timeout);
        }
    }

    /** Plugs the vsock device (vhost-user, on the VM's vhost-vsock socket) into an empty root port. */
    static void plugVsock(QmpClient qmp, VmConfig config, String rootPort, Duration timeout) {
        qmp.execute(
                "chardev-add", socketChardev("vsock", config.vhostVsockSocket().toString()), timeout);
        qmp.execute(
                "device_add",
                Map.of("driver", "vhost-user-vsock-pci", "id", "vsock0", "chardev", "vsock", "bus", rootPort),
                timeout);
    }

    /** Plugs the virtiofs device (vhost-user, on the VM's virtiofs socket, tag jvmm) into an empty root port. */
    static void plugShare(QmpClient qmp, VmConfig config, String rootPort, Duration timeout) {
        qmp.execute("chardev-add", socketChardev("fs", config.virtiofsSocket().toString()), timeout);
        qmp.execute(
                "device_add",
                Map.of("driver", "vhost-user-fs-pci", "id", "fs0", "chardev", "fs", "tag", "jvmm", "bus", rootPort),
                timeout);
    }

    /**
     * Plugs a writable raw disk image (a container's root file system) into an empty root port, with a
     * serial the guest finds it by. Cache and flushes as QEMU defaults (writeback, guest flushes honoured).
     */
    static void plugDisk(QmpClient qmp, String id, Path image, String serial, String rootPort, Duration timeout) {
        addRawNode(qmp, id, image, timeout);
        qmp.execute(
                "device_add",
                Map.of("driver", "virtio-blk-pci", "id", id + "-dev", "drive", id, "serial", serial, "bus", rootPort),
                timeout);
    }

    /** A block node {@code id} reading and writing {@code image} as a raw file, for a disk device to use. */
    static void addRawNode(QmpClient qmp, String id, Path image, Duration timeout) {
        qmp.execute(
                "blockdev-add",
                Map.of(
                        "driver",
                        "raw",
                        "node-name",
                        id,
                        "file",
                        Map.of("driver", "file", "filename", image.toString())),
                timeout);
    }

    /** Plugs the network card the configuration names into an empty root port. */
    static void plugNic(QmpClient qmp, GuestNic nic, String rootPort, Duration timeout) {
        qmp.execute("netdev_add", QemuCommandLine.netdev(nic), timeout);
        Map<String, Object> device = new LinkedHashMap<>(
                Map.of("driver", "virtio-net-pci", "id", "nic0", "netdev", "net0", "bus", rootPort));
        if (nic instanceof PodTap tap) {
            device.put("mac", tap.mac());
        }
        qmp.execute("device_add", device, timeout);
    }

    private static Map<String, Object> socketChardev(String id, String path) {
        return Map.of(
                "id",
                id,
                "backend",
                Map.of(
                        "type",
                        "socket",
                        "data",
                        Map.of("addr", Map.of("type", "unix", "data", Map.of("path", path)), "server", false)));
    }
}
