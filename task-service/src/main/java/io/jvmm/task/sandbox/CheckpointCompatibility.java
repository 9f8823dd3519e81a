package io.jvmm.task.sandbox;

import io.jvmm.task.TaskException;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmmType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a sealed checkpoint can be restored here: of the same container id, guest image, kernel arguments,
 * accelerator and CPU model, and a VM no larger than this host runs. Checked before anything starts.
 */
final class CheckpointCompatibility {
    private CheckpointCompatibility() {}

    /**
     * The checkpoint's manifest, once its seal is this host's, its files match their hashes, and nothing
     * stands in the way; otherwise INVALID_ARGUMENT (not a checkpoint this host made, or damaged) or
     * FAILED_PRECONDITION (made under something else) saying what.
     */
    static ContainerCheckpoint.Manifest verified(
            ContainerCheckpoint checkpoint, String containerId, SandboxSettings settings, Accel accel)
            throws IOException {
        ContainerCheckpoint.Manifest m;
        try {
            m = checkpoint.verifiedManifest(CheckpointSeal.of(settings.stateRoot()));
        } catch (IOException | RuntimeException e) {
            throw TaskException.invalidArgument(
                    "checkpoint " + checkpoint.dir() + " cannot be restored: " + e.getMessage(), e);
        }
        List<String> problems = problems(m, containerId, settings, accel);
        if (!problems.isEmpty()) {
            throw TaskException.failedPrecondition(
                    "checkpoint " + checkpoint.dir() + " cannot be restored: " + String.join("; ", problems));
        }
        return m;
    }

    /** What stands in the way (empty: it can be restored). */
    static List<String> problems(
            ContainerCheckpoint.Manifest m, String containerId, SandboxSettings settings, Accel accel)
            throws IOException {
        List<String> problems = new ArrayList<>();
        if (m.format() != ContainerCheckpoint.FORMAT) {
            problems.add("format " + m.format() + ", this runtime reads " + ContainerCheckpoint.FORMAT);
        }
        if (!m.containerId().equals(containerId)) {
            problems.add("it is of container " + m.containerId()
                    + " (the guest knows it by that id: restore it under that id)");
        }
        if (!m.image().equals(GuestSnapshot.imageOf(settings.kernel(), settings.initrd(), settings.runtimeDisk()))) {
            problems.add("saved from another guest image");
        }
        if (!m.kernelArgs().equals(settings.extraKernelArgs()) || !m.accel().equals(accel.name())) {
            problems.add("saved with other kernel arguments or accelerator (" + m.accel() + ")");
        }
        Optional<String> savedCpu = Optional.ofNullable(m.cpuModel());
        if (!savedCpu.equals(settings.cpuModel())) {
            problems.add("saved with CPU model " + savedCpu.orElse("(the default)") + ", configured now: "
                    + settings.cpuModel().orElse("(the default)"));
        }
        if (settings.vmm() != VmmType.QEMU) {
            problems.add("only QEMU restores checkpoints");
        }
        // Sealed by this host's runtime, but perhaps under another configuration: a VM no larger than this
        // one could boot (pods are sized up to the host's CPUs) and a root disk no larger than 1 TiB.
        int maxVcpus = Math.max(settings.vcpus(), Runtime.getRuntime().availableProcessors());
        long maxMemoryMib = PodSizing.hostMemoryMib();
        if (m.vcpus() < 1
                || m.vcpus() > maxVcpus
                || m.memoryMib() < 64
                || m.memoryMib() > maxMemoryMib
                || m.rootDiskBytes() < 0
                || m.rootDiskBytes() > (1L << 40)) {
            problems.add("its VM (" + m.vcpus() + " vCPUs, " + m.memoryMib() + " MiB, a " + m.rootDiskBytes()
                    + "-byte disk) is outside what this host runs (at most " + maxVcpus + " vCPUs and "
                    + maxMemoryMib + " MiB)");
        }
        return problems;
    }
}
