package io.jvmm.shim.metrics;

import io.jvmm.task.guest.ContainerStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The guest's own numbers for each container (its cgroup inside the VM: memory in use, CPU time, processes),
 * asked of the agent when Prometheus scrapes; a container that is gone drops its series at the next scrape.
 */
final class GuestStatsGauges {
    private final Supplier<Map<String, ContainerStats>> source;
    private final MultiGauge memory;
    private final MultiGauge cpu;
    private final MultiGauge pids;

    GuestStatsGauges(MeterRegistry registry, Supplier<Map<String, ContainerStats>> source) {
        this.source = source;
        memory = MultiGauge.builder("jvmm.guest.container.memory")
                .description("Memory in use by a container's cgroup inside the guest (memory.current)")
                .baseUnit("bytes")
                .register(registry);
        cpu = MultiGauge.builder("jvmm.guest.container.cpu.usage")
                .description(
                        "CPU time used by a container's cgroup inside the guest since it started (cpu.stat usage_usec)")
                .baseUnit("seconds")
                .register(registry);
        pids = MultiGauge.builder("jvmm.guest.container.processes")
                .description("Processes in a container's cgroup inside the guest (pids.current)")
                .register(registry);
    }

    /** Asks the guest (through the task service, with its deadlines) and replaces every row. */
    void refresh() {
        Map<String, ContainerStats> stats = source.get();
        memory.register(rows(stats, ContainerStats::memoryUsage, 1), true);
        cpu.register(rows(stats, ContainerStats::cpuUsageUsec, 1e-6), true);
        pids.register(rows(stats, ContainerStats::pidsCurrent, 1), true);
    }

    private static List<MultiGauge.Row<?>> rows(
            Map<String, ContainerStats> stats, ToLongFunction<ContainerStats> value, double scale) {
        return stats.entrySet().stream()
                .<MultiGauge.Row<?>>map(e ->
                        MultiGauge.Row.of(Tags.of("container_id", e.getKey()), value.applyAsLong(e.getValue()) * scale))
                .toList();
    }
}
