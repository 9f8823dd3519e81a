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
    private static final long NODE_RETRY_MILLIS = 20;
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
     * Unplugs the disk with {@code serial} and lets go of its image (the shim deletes it), within
     * {@code timeout}. A SCSI disk leaves its bus whatever the guest does with it (the guest's agent has
     * unmounted it by then), but not within {@code device_del}: QEMU 7.2 answers it first and deletes the
     * device just after (DEVICE_DELETED), and refuses to delete the image's node ("in use") until then, while
     * the image stays open. So the node's delete is retried until it goes.
     */
    synchronized void unplugPod(String serial, Duration timeout) {
        requireSerial(serial);
        if (!plugged.remove(serial)) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        qmp.execute("device_del", Map.of("id", device(serial)), timeout);
        while (true) {
            try {
                qmp.execute("blockdev-del", Map.of("node-name", node(serial)), timeout);
                return;
            } catch (VmException.MonitorError e) {
                if (!e.getMessage().contains("in use") || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(NODE_RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException.MonitorError("interrupted while unplugging disk " + serial, e);
            }
        }
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
