package io.jvmm.task.sandbox;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a pod asks for, as CRI states it (LinuxPodSandboxConfig.resources, or the sandbox container's
 * {@code io.kubernetes.cri.sandbox-*} annotations in the pause-container model): a CPU quota per period
 * and a memory limit, each possibly unset.
 */
public record PodResources(OptionalLong cpuQuota, OptionalLong cpuPeriod, OptionalLong memoryLimitBytes) {
    public static final PodResources NONE =
            new PodResources(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    /** From CRI's numbers, where 0 (or less) means "not set". */
    public static PodResources of(long cpuQuota, long cpuPeriod, long memoryLimitBytes) {
        return new PodResources(positive(cpuQuota), positive(cpuPeriod), positive(memoryLimitBytes));
    }

    private static OptionalLong positive(long v) {
        return v > 0 ? OptionalLong.of(v) : OptionalLong.empty();
    }

    /** Whole CPUs the quota amounts to, rounded up; empty without both quota and period. */
    public Optional<Integer> cpus() {
        if (cpuQuota.isEmpty() || cpuPeriod.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of((int) Math.ceilDiv(cpuQuota.getAsLong(), cpuPeriod.getAsLong()));
    }

    /** The memory limit in MiB, rounded up. */
    public OptionalLong memoryMib() {
        return memoryLimitBytes.isEmpty()
                ? OptionalLong.empty()
                : OptionalLong.of(Math.ceilDiv(memoryLimitBytes.getAsLong(), 1024L * 1024));
    }
}
