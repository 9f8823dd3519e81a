package io.jvmm.vmm.qemu;

import io.jvmm.vmm.VmConfig;
import java.time.Duration;
import java.util.Map;

/** The QMP commands that add a paused VM's devices: the same devices the command line would give. */
final class QmpDevices {
    private QmpDevices() {
    }

    static void plugAll(QmpClient qmp, VmConfig config, Duration timeout) {
        qmp.execute("chardev-add", socketChardev("vsock", config.vhostVsockSocket().toString()), timeout);
        qmp.execute("device_add", Map.of("driver", "vhost-user-vsock-pci", "id", "vsock0", "chardev", "vsock",
                "bus", QemuCommandLine.ROOT_PORTS.get(0)), timeout);
        config.runtimeDisk().ifPresent(disk -> {
            qmp.execute("blockdev-add", Map.of("driver", "raw", "node-name", "runtime", "read-only", true,
                    "file", Map.of("driver", "file", "filename", disk.toString(), "read-only", true)), timeout);
            qmp.execute("device_add", Map.of("driver", "virtio-blk-pci", "id", "runtime0", "drive", "runtime",
                    "bus", QemuCommandLine.ROOT_PORTS.get(1)), timeout);
        });
        config.shareDir().ifPresent(dir -> {
            qmp.execute("chardev-add", socketChardev("fs", config.virtiofsSocket().toString()), timeout);
            qmp.execute("device_add", Map.of("driver", "vhost-user-fs-pci", "id", "fs0", "chardev", "fs", "tag", "jvmm",
                    "bus", QemuCommandLine.ROOT_PORTS.get(2)), timeout);
        });
    }

    private static Map<String, Object> socketChardev(String id, String path) {
        return Map.of("id", id, "backend", Map.of("type", "socket", "data", Map.of(
                "addr", Map.of("type", "unix", "data", Map.of("path", path)), "server", false)));
    }
}
