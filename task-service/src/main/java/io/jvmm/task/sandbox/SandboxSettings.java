package io.jvmm.task.sandbox;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.VmmUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What every sandbox VM of this runtime is made of (the runtime's configuration file): the guest image,
 * the VM's size and accelerator, and where sandboxes keep their state.
 *
 * @param templates start VMs by restoring a saved, agent-ready guest of the same size (QEMU only; see
 *                  {@link VmTemplates}) instead of booting each one
 * @param hugePages keep template memory, and a booted VM's memory, on the host's huge pages when its
 *                  hugetlbfs pool can hold it (otherwise ordinary memory, as without); see
 *                  {@link io.jvmm.vmm.HugePages}
 * @param cpuModel  the guest's CPU as QEMU names it, or empty for the accelerator's default; see
 *                  {@link io.jvmm.vmm.VmConfig}
 * @param vmmUser   the unprivileged user QEMU and its vsock helper run as ({@link io.jvmm.vmm.VmmUser}), or
 *                  empty to run them as the shim's user
 * @param enabledAnnotations the per-pod settings pods may ask for in {@code jvmm.io/*} annotations
 *                  ({@link VmAnnotations}); none unless the configuration lists them
 * @param templateLimits what the templates of the state root may keep ({@link TemplateLimits})
 * @param loneRootDisk give a lone container that needs nothing from the host but its root that root as a
 *                  disk (an ext4 image in the state root) instead of over the virtiofs share: its VM has no
 *                  vhost-user device, so it can be checkpointed and share a template's memory; its writes
 *                  stay in the image, not in the snapshotter ({@link RootTransport}); on by default
 */
public record SandboxSettings(
        VmmType vmm,
        Path kernel,
        Path initrd,
        Optional<Path> runtimeDisk,
        int vcpus,
        int memoryMib,
        Accel accel,
        Path stateRoot,
        Duration bootTimeout,
        String extraKernelArgs,
        boolean templates,
        boolean hugePages,
        Optional<String> cpuModel,
        Optional<String> vmmUser,
        Set<VmAnnotations.Setting> enabledAnnotations,
        TemplateLimits templateLimits,
        boolean loneRootDisk) {
    /** No per-pod settings, no limits on templates, lone roots on disks (the configuration's default). */
    public SandboxSettings(
            VmmType vmm,
            Path kernel,
            Path initrd,
            Optional<Path> runtimeDisk,
            int vcpus,
            int memoryMib,
            Accel accel,
            Path stateRoot,
            Duration bootTimeout,
            String extraKernelArgs,
            boolean templates,
            boolean hugePages,
            Optional<String> cpuModel,
            Optional<String> vmmUser) {
        this(
                vmm,
                kernel,
                initrd,
                runtimeDisk,
                vcpus,
                memoryMib,
                accel,
                stateRoot,
                bootTimeout,
                extraKernelArgs,
                templates,
                hugePages,
                cpuModel,
                vmmUser,
                Set.of(),
                TemplateLimits.NONE,
                true);
    }

    /** Without huge pages, with the accelerator's default CPU, the VMM run as the shim's user, no per-pod settings. */
    public SandboxSettings(
            VmmType vmm,
            Path kernel,
            Path initrd,
            Optional<Path> runtimeDisk,
            int vcpus,
            int memoryMib,
            Accel accel,
            Path stateRoot,
            Duration bootTimeout,
            String extraKernelArgs,
            boolean templates) {
        this(
                vmm,
                kernel,
                initrd,
                runtimeDisk,
                vcpus,
                memoryMib,
                accel,
                stateRoot,
                bootTimeout,
                extraKernelArgs,
                templates,
                false,
                Optional.empty(),
                Optional.empty());
    }

    public SandboxSettings {
        Objects.requireNonNull(vmm, "vmm");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(runtimeDisk, "runtimeDisk");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(stateRoot, "stateRoot");
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        Objects.requireNonNull(cpuModel, "cpuModel");
        Objects.requireNonNull(vmmUser, "vmmUser");
        enabledAnnotations = Set.copyOf(enabledAnnotations);
        Objects.requireNonNull(templateLimits, "templateLimits");
        extraKernelArgs = extraKernelArgs == null ? "" : extraKernelArgs;
        if (stateRoot.toString().length() > 40) {
            throw new IllegalArgumentException("state root " + stateRoot
                    + " is longer than 40 characters (unix socket paths below it are limited)");
        }
    }

    /** The same settings with other kernel arguments (a template maker's, given the sandbox's). */
    public SandboxSettings withExtraKernelArgs(String args) {
        return with(VmSize.of(this), args, templates);
    }

    /** The same settings for one VM of another size, kernel arguments or templates choice (a pod's: {@link VmOverrides}). */
    public SandboxSettings with(VmSize size, String args, boolean templates) {
        return new SandboxSettings(
                vmm,
                kernel,
                initrd,
                runtimeDisk,
                size.vcpus(),
                size.memoryMib(),
                accel,
                stateRoot,
                bootTimeout,
                args,
                templates,
                hugePages,
                cpuModel,
                vmmUser,
                enabledAnnotations,
                templateLimits,
                loneRootDisk);
    }

    /** The VMM's user as the host knows it now (an error naming it if it does not exist). */
    public Optional<VmmUser> vmmAccount() {
        return vmmUser.map(VmmUser::lookup);
    }
}
