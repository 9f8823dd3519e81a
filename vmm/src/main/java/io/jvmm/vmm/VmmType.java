package io.jvmm.vmm;

import io.jvmm.vmm.cloudhypervisor.CloudHypervisorVm;
import io.jvmm.vmm.firecracker.FirecrackerVm;
import io.jvmm.vmm.qemu.DeviceSetup;
import io.jvmm.vmm.qemu.KvmProbe;
import io.jvmm.vmm.qemu.QemuVm;
import java.time.Duration;

/** Which monitor runs a VM: a configuration choice, one factory, the same {@link VirtualMachine} after it. */
public enum VmmType {
    QEMU,
    FIRECRACKER,
    CLOUD_HYPERVISOR;

    public VirtualMachine create(VmConfig config, MonitorLauncher launcher) {
        return switch (this) {
            case QEMU -> new QemuVm(config, useKvm(config));
            case FIRECRACKER -> new FirecrackerVm(config, launcher);
            case CLOUD_HYPERVISOR -> new CloudHypervisorVm(config, launcher);
        };
    }

    /**
     * A VM that {@link VirtualMachine#start} restores from {@code snapshot} instead of booting. The snapshot
     * is checked against {@code config} and this monitor first; a mismatch is refused here
     * ({@link VmException.SnapshotMismatch}), before anything is started.
     */
    public VirtualMachine restore(VmConfig config, MonitorLauncher launcher, GuestSnapshot snapshot) {
        return switch (this) {
            case QEMU -> QemuVm.restoring(config, useKvm(config), snapshot);
            case FIRECRACKER -> FirecrackerVm.restoring(config, launcher, snapshot);
            case CLOUD_HYPERVISOR -> CloudHypervisorVm.restoring(config, launcher, snapshot);
        };
    }

    /**
     * A VM to boot and then save as a template: for QEMU the snapshot device layout (no vhost-user
     * devices); Firecracker and Cloud Hypervisor save their usual layout.
     */
    public VirtualMachine createSnapshottable(VmConfig config, MonitorLauncher launcher) {
        return this == QEMU ? new QemuVm(config, useKvm(config), DeviceSetup.SNAPSHOTTABLE) : create(config, launcher);
    }

    /**
     * A VM to boot that can later be checkpointed ({@code QemuVm.saveCheckpoint}): for QEMU the snapshot
     * device layout with its memory as a booted VM's; Firecracker and Cloud Hypervisor their usual layout.
     */
    public VirtualMachine createCheckpointable(VmConfig config, MonitorLauncher launcher) {
        return this == QEMU ? QemuVm.checkpointable(config, useKvm(config)) : create(config, launcher);
    }

    private static boolean useKvm(VmConfig config) {
        return switch (config.accel()) {
            case KVM -> true;
            case TCG -> false;
            case AUTO -> KvmProbe.works(config.kernel(), config.initrd(), Duration.ofSeconds(10));
        };
    }
}
