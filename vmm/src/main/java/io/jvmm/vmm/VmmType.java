package io.jvmm.vmm;

import io.jvmm.vmm.cloudhypervisor.CloudHypervisorVm;
import io.jvmm.vmm.firecracker.FirecrackerVm;
import io.jvmm.vmm.qemu.KvmProbe;
import io.jvmm.vmm.qemu.QemuVm;
import java.time.Duration;

/** Which monitor runs a VM: a configuration choice, one factory, the same {@link VirtualMachine} after it. */
public enum VmmType {
    QEMU, FIRECRACKER, CLOUD_HYPERVISOR;

    public VirtualMachine create(VmConfig config, MonitorLauncher launcher) {
        return switch (this) {
            case QEMU -> new QemuVm(config, useKvm(config));
            case FIRECRACKER -> new FirecrackerVm(config, launcher);
            case CLOUD_HYPERVISOR -> new CloudHypervisorVm(config, launcher);
        };
    }

    private static boolean useKvm(VmConfig config) {
        return switch (config.accel()) {
            case KVM -> true;
            case TCG -> false;
            case AUTO -> KvmProbe.works(config.kernel(), config.initrd(), Duration.ofSeconds(10));
        };
    }
}
