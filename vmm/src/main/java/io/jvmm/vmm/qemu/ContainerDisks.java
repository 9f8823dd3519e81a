package io.jvmm.vmm.qemu;

import io.jvmm.vmm.VmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The containers' disks of a VM in the snapshot layout without a share, all in the root port the share
 * would have used: a lone container's one virtio-blk disk, or a pod's virtio-scsi controller (plugged on
 * first use) with a {@code scsi-hd} per container. SCSI disks come and go on the controller's bus without
 * a PCI hot-plug each, so a pod takes as many containers as it likes (the layout has one free root port,
 * and adding ports would change every template's layout). The guest finds each disk by its serial.
 */
final class ContainerDisks {
    /** A serial as virtio and SCSI both carry it, and as QMP ids are made of it. */
    private static final String SERIAL = "[A-Za-z0-9_-]{1,20}";

    private static final String CONTROLLER = "pod-scsi";
    /** The lone disk's QMP id: a checkpoint's device state names it. */
    private static final String LONE = "rootfs0";

    private final QmpClient qmp;
    private final QemuConfinement confinement;
    private final String rootPort;
    private final Set<String> plugged = new HashSet<>();
    private boolean lone;
    private boolean controller;

    ContainerDisks(QmpClient qmp, QemuConfinement confinement, String rootPort) {
        this.qmp = qmp;
        this.confinement = confinement;
        this.rootPort = rootPort;
    }

    /** Plugs a lone container's root disk (virtio-blk): the only disk this VM will have. */
    synchronized void plugLone(Path image, String serial, Duration timeout) {
        if (lone || controller) {
            throw new VmException.InvalidConfig("this VM already has its container disk");
        }
        lone = true;
        confinement.give(image);
        QmpDevices.plugDisk(qmp, LONE, image, serial, rootPort, timeout);
    }

    /** Plugs {@code image} (raw, writable) as a pod's SCSI disk with {@code serial}; the controller first if needed. */
    synchronized void plugPod(Path image, String serial, Duration timeout) {
        requireSerial(serial);
        if (lone) {
            throw new VmException.InvalidConfig("this VM has a lone container's disk");
        }
        if (plugged.contains(serial)) {
            throw new VmException.InvalidConfig("a disk with serial " + serial + " is plugged already");
        }
        confinement.give(image);
        if (!controller) {
            qmp.execute("device_add", Map.of("driver", "virtio-scsi-pci", "id", CONTROLLER, "bus", rootPort), timeout);
            controller = true;
        }
        QmpDevices.addRawNode(qmp, node(serial), image, timeout);
        try {
            // scsi-id 0 on channel 0; QEMU gives it the lowest free LUN.
            qmp.execute(
                    "device_add",
                    Map.of(
                            "driver",
                            "scsi-hd",
                            "id",
                            device(serial),
                            "drive",
                            node(serial),
                            "bus",
                            CONTROLLER + ".0",
                            "scsi-id",
                            0,
                            "serial",
                            serial),
                    timeout);
        } catch (RuntimeException e) {
            qmp.execute("blockdev-del", Map.of("node-name", node(serial)), timeout);
            throw e;
        }
        plugged.add(serial);
    }

    /**
     * Unplugs the disk with {@code serial} and lets go of its image (the shim deletes it). A SCSI disk leaves
     * its bus at once, whatever the guest does with it: the guest's agent has unmounted it by then.
     */
    synchronized void unplugPod(String serial, Duration timeout) {
        requireSerial(serial);
        if (!plugged.remove(serial)) {
            return;
        }
        qmp.execute("device_del", Map.of("id", device(serial)), timeout);
        qmp.execute("blockdev-del", Map.of("node-name", node(serial)), timeout);
    }

    private static void requireSerial(String serial) {
        if (!serial.matches(SERIAL)) {
            throw new VmException.InvalidConfig(
                    "disk serial \"" + serial + "\" is not 1-20 letters, digits, '_' or '-'");
        }
    }

    private static String node(String serial) {
        return "pd-" + serial;
    }

    private static String device(String serial) {
        return "pd-" + serial + "-dev";
    }
}
