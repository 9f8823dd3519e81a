package io.jvmm.vmm.firecracker;

import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.http.MonitorApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Firecracker microVM, configured through its REST API (vmm-api/firecracker-api.yaml) and started
 * with InstanceStart. Firecracker's vsock is hybrid by itself (no helper). It has no virtio-fs, so a
 * shared directory is refused: container root file systems reach it as block devices.
 */
public final class FirecrackerVm extends AbstractVm {
    private final MonitorLauncher launcher;
    private MonitorApi api;

    public FirecrackerVm(VmConfig config, MonitorLauncher launcher) {
        super(config);
        if (config.nic().isPresent()) {
            // Not silently ignored: pod networking is wired for QEMU only so far.
            throw new io.jvmm.vmm.VmException.InvalidConfig("a network card in a pod's namespace is only supported with QEMU");
        }
        if (config.shareDir().isPresent()) {
            throw new VmException.InvalidConfig("Firecracker has no virtio-fs: a shared directory cannot be used with it");
        }
        this.launcher = launcher;
    }

    public Path apiSocket() {
        return config.stateDir().resolve("firecracker.sock");
    }

    @Override
    protected void boot(long deadline) {
        // Firecracker's stdout is the guest's serial console.
        SupervisedProcess fc = launcher.launch("firecracker",
                List.of(HostTools.firecracker().toString(), "--api-sock", apiSocket().toString()), apiSocket(), config.consoleLog());
        monitorStarted(fc);
        HostTools.awaitFile(apiSocket(), fc, deadline);
        api = new MonitorApi("firecracker", apiSocket());
        api.put("/machine-config", Map.of("vcpu_count", config.vcpus(), "mem_size_mib", config.memoryMib()));
        api.put("/boot-source", Map.of("kernel_image_path", config.kernel().toString(),
                "initrd_path", config.initrd().toString(), "boot_args", kernelArgs()));
        config.runtimeDisk().ifPresent(disk -> api.put("/drives/runtime", Map.of("drive_id", "runtime",
                "path_on_host", disk.toString(), "is_root_device", false, "is_read_only", true)));
        api.put("/vsock", Map.of("guest_cid", config.guestCid(), "uds_path", config.vsockSocket().toString()));
        api.put("/actions", Map.of("action_type", "InstanceStart"));
    }

    private String kernelArgs() {
        String base = "console=ttyS0 quiet reboot=k panic=1 pci=off";
        return config.extraKernelArgs().isEmpty() ? base : base + " " + config.extraKernelArgs();
    }

    @Override
    protected void doPause(Duration timeout) {
        api.patch("/vm", Map.of("state", "Paused"));
    }

    @Override
    protected void doResume(Duration timeout) {
        api.patch("/vm", Map.of("state", "Resumed"));
    }

    /** Firecracker's x86 guests see Ctrl-Alt-Del on the i8042 keyboard controller; that is its power button. */
    @Override
    protected void doPressPowerButton(Duration timeout) {
        api.put("/actions", Map.of("action_type", "SendCtrlAltDel"));
    }

    @Override
    protected void closeControl() {
        // one connection per request: nothing held open
    }

    @Override
    protected List<Path> sockets() {
        return List.of(apiSocket(), config.vsockSocket());
    }
}
