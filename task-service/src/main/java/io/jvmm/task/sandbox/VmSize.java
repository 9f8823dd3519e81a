package io.jvmm.task.sandbox;

/**
 * How big a sandbox's VM is: its vCPUs and memory. The runtime's configuration gives the default; a pod's
 * resources can ask for more (see {@link PodSizing}).
 */
public record VmSize(int vcpus, int memoryMib) {
    public VmSize {
        if (vcpus < 1) {
            throw new IllegalArgumentException("a VM needs at least one vCPU, not " + vcpus);
        }
        if (memoryMib < 64) {
            throw new IllegalArgumentException("a VM needs at least 64 MiB, not " + memoryMib);
        }
    }

    public static VmSize of(SandboxSettings settings) {
        return new VmSize(settings.vcpus(), settings.memoryMib());
    }
}
