package io.jvmm.vmm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a VM is made of, validated when built so the drivers only ever see a VM that can exist.
 *
 * @param stateDir     a directory of this VM's own: sockets, logs (its path must be short: unix sockets)
 * @param kernel       the guest kernel (bzImage)
 * @param initrd       the guest initramfs
 * @param runtimeDisk  the read-only runtime disk (JRE + agent), or empty for none
 * @param shareDir     the directory shared into the guest over virtiofs (tag {@code jvmm}), or empty
 * @param guestCid     the guest's vsock context id (3 or more)
 * @param nic          the guest's network card in a pod's network namespace, or empty for none
 * @param cpuModel     the CPU the guest sees, as QEMU names it ({@code -cpu}: a model, optionally with
 *                     {@code ,feature=on|off}); empty for the host's own under KVM and everything QEMU
 *                     emulates under TCG. A fixed model lets VMs of hosts with different CPUs share
 *                     templates and checkpoints. QEMU only.
 * @param hugePages    back a booted VM's memory with the host's huge pages when the pool can hold it
 *                     (otherwise ordinary memory); QEMU only
 */
public record VmConfig(
        Path stateDir,
        Path kernel,
        Path initrd,
        Optional<Path> runtimeDisk,
        Optional<Path> shareDir,
        int vcpus,
        int memoryMib,
        int guestCid,
        Accel accel,
        String extraKernelArgs,
        Optional<GuestNic> nic,
        Optional<String> cpuModel,
        Optional<VmmUser> vmmUser,
        boolean hugePages) {
    /** sun_path is 108 bytes; our longest socket name below stateDir is 21 (vmm/agent-serial.sock). */
    private static final int MAX_STATE_DIR = 80;
    /** A QEMU CPU model and its feature switches: nothing that could read as another option. */
    private static final Pattern CPU_MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+=,-]{0,127}");

    /** A VM with the default CPU of its accelerator. */
    public VmConfig(
            Path stateDir,
            Path kernel,
            Path initrd,
            Optional<Path> runtimeDisk,
            Optional<Path> shareDir,
            int vcpus,
            int memoryMib,
            int guestCid,
            Accel accel,
            String extraKernelArgs,
            Optional<GuestNic> nic) {
        this(
                stateDir,
                kernel,
                initrd,
                runtimeDisk,
                shareDir,
                vcpus,
                memoryMib,
                guestCid,
                accel,
                extraKernelArgs,
                nic,
                Optional.empty(),
                Optional.empty(),
                false);
    }

    /** A VM without a network card (a lone container, or a pod on the host's network). */
    public VmConfig(
            Path stateDir,
            Path kernel,
            Path initrd,
            Optional<Path> runtimeDisk,
            Optional<Path> shareDir,
            int vcpus,
            int memoryMib,
            int guestCid,
            Accel accel,
            String extraKernelArgs) {
        this(
                stateDir,
                kernel,
                initrd,
                runtimeDisk,
                shareDir,
                vcpus,
                memoryMib,
                guestCid,
                accel,
                extraKernelArgs,
                Optional.empty());
    }

    public VmConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(nic, "nic");
        Objects.requireNonNull(runtimeDisk, "runtimeDisk");
        Objects.requireNonNull(shareDir, "shareDir");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(cpuModel, "cpuModel");
        Objects.requireNonNull(vmmUser, "vmmUser");
        extraKernelArgs = extraKernelArgs == null ? "" : extraKernelArgs.strip();
        requireFile("kernel", kernel);
        requireFile("initrd", initrd);
        runtimeDisk.ifPresent(p -> requireFile("runtime disk", p));
        shareDir.ifPresent(p -> {
            if (!Files.isDirectory(p)) {
                throw new VmException.InvalidConfig("share directory " + p + " does not exist");
            }
        });
        if (stateDir.toString().length() > MAX_STATE_DIR) {
            throw new VmException.InvalidConfig("state directory path is longer than " + MAX_STATE_DIR
                    + " characters (unix socket paths are limited): " + stateDir);
        }
        if (vcpus < 1 || vcpus > 64) {
            throw new VmException.InvalidConfig("vcpus must be 1-64, not " + vcpus);
        }
        if (memoryMib < 64 || memoryMib > 1 << 20) {
            throw new VmException.InvalidConfig("memory must be 64 MiB to 1 TiB, not " + memoryMib + " MiB");
        }
        if (guestCid < 3) {
            throw new VmException.InvalidConfig(
                    "guest vsock CID must be 3 or more (0-2 are reserved), not " + guestCid);
        }
        if (extraKernelArgs.contains("\n")) {
            throw new VmException.InvalidConfig("kernel arguments must be one line");
        }
        if (cpuModel.isPresent() && !CPU_MODEL.matcher(cpuModel.get()).matches()) {
            throw new VmException.InvalidConfig("CPU model must be a QEMU model name with optional ,feature=on|off"
                    + " switches (letters, digits and _.+=,-), not \"" + cpuModel.get() + "\"");
        }
    }

    /** The same VM with the CPU {@code model} (empty: the accelerator's default). */
    public VmConfig withCpuModel(Optional<String> model) {
        return new VmConfig(
                stateDir,
                kernel,
                initrd,
                runtimeDisk,
                shareDir,
                vcpus,
                memoryMib,
                guestCid,
                accel,
                extraKernelArgs,
                nic,
                model,
                vmmUser,
                hugePages);
    }

    /** The same VM with its monitor and vsock helper run as {@code user} (empty: as the shim's user). */
    public VmConfig withVmmUser(Optional<VmmUser> user) {
        return new VmConfig(
                stateDir,
                kernel,
                initrd,
                runtimeDisk,
                shareDir,
                vcpus,
                memoryMib,
                guestCid,
                accel,
                extraKernelArgs,
                nic,
                cpuModel,
                user,
                hugePages);
    }

    /** The same VM with its memory on the host's huge pages when the pool can hold it ({@code false}: never). */
    public VmConfig withHugePages(boolean huge) {
        return new VmConfig(
                stateDir,
                kernel,
                initrd,
                runtimeDisk,
                shareDir,
                vcpus,
                memoryMib,
                guestCid,
                accel,
                extraKernelArgs,
                nic,
                cpuModel,
                vmmUser,
                huge);
    }

    private static void requireFile(String what, Path path) {
        if (path == null) {
            throw new VmException.InvalidConfig(what + " is required");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new VmException.InvalidConfig(what + " " + path + " is not a readable file");
        }
    }

    /**
     * The one directory the VMM's own processes (QEMU, vhost-device-vsock) create files in: their sockets
     * and the guest's memory file. Run as an unprivileged user they may write here and nowhere else in the
     * state directory, whose other entries the shim writes as root (a symlink planted beside them would
     * otherwise steer those writes).
     */
    public Path vmmDir() {
        return stateDir.resolve("vmm");
    }

    public Path qmpSocket() {
        return vmmDir().resolve("qmp.sock");
    }

    /** Where the host reaches the guest's vsock ports (hybrid vsock: CONNECT <port>). */
    public Path vsockSocket() {
        return vmmDir().resolve("vsock.sock");
    }

    public Path vhostVsockSocket() {
        return vmmDir().resolve("vhost-vsock.sock");
    }

    public Path virtiofsSocket() {
        return stateDir.resolve("virtiofs.sock");
    }

    public Path consoleLog() {
        return stateDir.resolve("console.log");
    }
}
