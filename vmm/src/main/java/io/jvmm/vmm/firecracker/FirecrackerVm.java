package io.jvmm.vmm.firecracker;

import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.http.MonitorApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Firecracker microVM, configured through its REST API (vmm-api/firecracker-api.yaml) and started
 * with InstanceStart, or restored from a snapshot with /snapshot/load. Firecracker's vsock is hybrid by
 * itself (no helper). It has no virtio-fs, so a shared directory is refused: container root file
 * systems reach it as block devices. Its snapshots are the same two files QEMU's are
 * ({@code guest.vmstate}, {@code guest.mem}); a restored VM maps the memory file privately, so clones
 * of one template share its pages copy-on-write, as QEMU clones do.
 */
public final class FirecrackerVm extends AbstractVm {
    private final MonitorLauncher launcher;
    private final Optional<GuestSnapshot> restoreFrom;
    private MonitorApi api;

    public FirecrackerVm(VmConfig config, MonitorLauncher launcher) {
        this(config, launcher, Optional.empty());
    }

    private FirecrackerVm(VmConfig config, MonitorLauncher launcher, Optional<GuestSnapshot> restoreFrom) {
        super(config);
        this.restoreFrom = restoreFrom;
        refuseQemuOnlySettings(config, "Firecracker");
        if (config.shareDir().isPresent()) {
            throw new VmException.InvalidConfig(
                    "Firecracker has no virtio-fs: a shared directory cannot be used with it");
        }
        this.launcher = launcher;
    }

    /**
     * A VM that {@link #start} loads from {@code snapshot} (checked against {@code config} first): the
     * machine configuration, drives and vsock come from the snapshot, the vsock's socket is this VM's.
     */
    public static FirecrackerVm restoring(VmConfig config, MonitorLauncher launcher, GuestSnapshot snapshot) {
        snapshot.verifyFor(config, VmmType.FIRECRACKER);
        return new FirecrackerVm(config, launcher, Optional.of(snapshot));
    }

    public Path apiSocket() {
        return config.stateDir().resolve("firecracker.sock");
    }

    @Override
    protected void boot(long deadline) {
        // Firecracker's stdout is the guest's serial console.
        SupervisedProcess fc = launcher.launch(
                "firecracker",
                List.of(
                        HostTools.firecracker().toString(),
                        "--api-sock",
                        apiSocket().toString()),
                apiSocket(),
                config.consoleLog());
        monitorStarted(fc);
        HostTools.awaitFile(apiSocket(), fc, deadline);
        api = new MonitorApi("firecracker", apiSocket());
        if (restoreFrom.isPresent()) {
            load(restoreFrom.get());
            return;
        }
        api.put("/machine-config", Map.of("vcpu_count", config.vcpus(), "mem_size_mib", config.memoryMib()));
        api.put(
                "/boot-source",
                Map.of(
                        "kernel_image_path",
                        config.kernel().toString(),
                        "initrd_path",
                        config.initrd().toString(),
                        "boot_args",
                        kernelArgs()));
        config.runtimeDisk()
                .ifPresent(disk -> api.put(
                        "/drives/runtime",
                        Map.of(
                                "drive_id",
                                "runtime",
                                "path_on_host",
                                disk.toString(),
                                "is_root_device",
                                false,
                                "is_read_only",
                                true)));
        api.put(
                "/vsock",
                Map.of(
                        "guest_cid",
                        config.guestCid(),
                        "uds_path",
                        config.vsockSocket().toString()));
        api.put("/actions", Map.of("action_type", "InstanceStart"));
    }

    /** Only on a fresh process, before anything else is configured (the spec's "pre-boot only"). */
    private void load(GuestSnapshot snapshot) {
        leaseSnapshot(snapshot); // Firecracker maps the memory file: not deleted while this VM runs
        api.put(
                "/snapshot/load",
                Map.of(
                        "snapshot_path", snapshot.vmstate().toString(),
                        "mem_backend",
                                Map.of(
                                        "backend_type",
                                        "File",
                                        "backend_path",
                                        snapshot.memory().toString()),
                        "vsock_override",
                                Map.of("uds_path", config.vsockSocket().toString()),
                        "resume_vm", true));
    }

    /** Pauses the VM and has Firecracker write a full snapshot into the partial directory. */
    @Override
    public void saveSnapshot(GuestSnapshot target, Duration timeout) {
        requireRunningForSnapshot();
        pause(timeout);
        writeSnapshot(target, VmmType.FIRECRACKER, partial -> {
            api.put(
                    "/snapshot/create",
                    Map.of(
                            "snapshot_type",
                            "Full",
                            "snapshot_path",
                            partial.resolve(target.vmstate().getFileName()).toString(),
                            "mem_file_path",
                            partial.resolve(target.memory().getFileName()).toString()));
            return api.get("/version").text("firecracker_version", "unknown");
        });
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
