package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Sizes a pod's VM: the pod's limits plus a fixed overhead for what runs beside the containers in the
 * guest (kernel, init, agent), never below the runtime's configured size. The overhead is the figure
 * docs/kubernetes.md publishes for the RuntimeClass; a pod without limits gets the configured size.
 */
public final class PodSizing {
    /** Guest memory the kernel, the agent's JVM and page cache need beside the containers. */
    public static final int GUEST_OVERHEAD_MIB = 256;

    private PodSizing() {}

    /** The VM for {@code pod} on this host. */
    public static VmSize size(PodResources pod, VmSize configured) {
        return size(pod, configured, Runtime.getRuntime().availableProcessors());
    }

    /** The VM for {@code pod}; {@code hostCpus} caps the vCPUs (more vCPUs than host CPUs only slow a guest down). */
    public static VmSize size(PodResources pod, VmSize configured, int hostCpus) {
        int vcpus = Math.max(configured.vcpus(), pod.cpus().orElse(0));
        vcpus = Math.min(vcpus, Math.max(1, hostCpus));
        long memory = configured.memoryMib();
        if (pod.memoryMib().isPresent()) {
            memory = Math.max(memory, pod.memoryMib().getAsLong() + GUEST_OVERHEAD_MIB);
        }
        return new VmSize(vcpus, Math.toIntExact(memory));
    }

    /** The host's memory (MemTotal) in MiB; a VM larger than this cannot run here. Long.MAX_VALUE if unreadable. */
    public static long hostMemoryMib() {
        try {
            var kib = Admission.meminfoKib(Files.readString(Path.of("/proc/meminfo")), "MemTotal");
            if (kib.isPresent()) {
                return kib.getAsLong() / 1024;
            }
        } catch (IOException e) {
            // no bound known
        }
        return Long.MAX_VALUE;
    }
}
