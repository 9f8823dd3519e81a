package io.jvmm.task.guest;

/** A container's cgroup numbers as its guest reports them (what Stats and SandboxMetrics answer). */
public record ContainerStats(
        long pidsCurrent,
        long pidsLimit,
        long cpuUsageUsec,
        long cpuUserUsec,
        long cpuSystemUsec,
        long cpuNrPeriods,
        long cpuNrThrottled,
        long cpuThrottledUsec,
        long memoryUsage,
        long memoryLimit,
        long memoryAnon,
        long memoryFile,
        long memoryOomKills) {}
