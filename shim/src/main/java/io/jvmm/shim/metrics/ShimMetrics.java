package io.jvmm.shim.metrics;

import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One shim's metrics (docs/operations.md has the table): its ttrpc calls, its containers' exits and OOM
 * kills, its own memory and its VM's on the host. Every series carries the sandbox's labels (its id, the
 * containerd namespace, and the pod's name and namespace where CRI gave them), so the monitor can serve
 * the series of every shim of the host side by side. Read in Prometheus' text format ({@link #scrape}).
 */
public final class ShimMetrics implements CallObserver, SandboxObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final GuestStatsGauges guest;

    /**
     * {@code labels}: the sandbox's, on every series; {@code vmProcesses}: the host pids of its VM's
     * processes (the monitor and its helpers) when asked, none before the VM runs; {@code guestStats}: each
     * container's cgroup numbers from the guest, asked at every scrape.
     */
    public ShimMetrics(
            Map<String, String> labels,
            Supplier<List<Long>> vmProcesses,
            Supplier<Map<String, ContainerStats>> guestStats) {
        labels.forEach((k, v) -> registry.config().commonTags(k, v));
        guest = new GuestStatsGauges(registry, guestStats);
        Gauge.builder("jvmm.shim.resident.memory", ProcMemory::selfRssBytes)
                .baseUnit("bytes")
                .description("Resident memory of this shim's JVM")
                .register(registry);
        Gauge.builder(
                        "jvmm.shim.heap.used",
                        () -> ManagementFactory.getMemoryMXBean()
                                .getHeapMemoryUsage()
                                .getUsed())
                .baseUnit("bytes")
                .description("Heap in use in this shim's JVM")
                .register(registry);
        for (ProcMemory.Kind kind : ProcMemory.Kind.values()) {
            Gauge.builder("jvmm.vm.host.memory", () -> ProcMemory.sum(vmProcesses.get(), kind))
                    .tag("kind", kind.label())
                    .baseUnit("bytes")
                    .description("Host memory of the sandbox VM's processes (QEMU and its helpers): rss or pss")
                    .register(registry);
        }
    }

    @Override
    public void callEnded(String service, String method, Code code, long nanos) {
        Timer.builder("jvmm.ttrpc.calls")
                .description("ttrpc calls containerd made to this shim, by method and status")
                .tags(Tags.of("service", shortService(service), "method", method, "code", code.name()))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void vmStarted(Start how, long monitorNanos, long agentNanos) {
        Timer.builder("jvmm.vm.start")
                .description(
                        "From the VM's launch to its agent's first answer, by how it started (boot, template, checkpoint)")
                .tags("how", how.label())
                .register(registry)
                .record(monitorNanos + agentNanos, TimeUnit.NANOSECONDS);
        Timer.builder("jvmm.vm.agent.ready")
                .description("From the monitor running the guest to its agent's first answer, by how the VM started")
                .tags("how", how.label())
                .register(registry)
                .record(agentNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void templateLookup(boolean hit) {
        Counter.builder("jvmm.template.lookups")
                .description("VM starts with templates on: restored from a template (hit) or booted cold (miss)")
                .tags("result", hit ? "hit" : "miss")
                .register(registry)
                .increment();
    }

    @Override
    public void shutdownStep(String step, String result) {
        Counter.builder("jvmm.shutdown.steps")
                .description(
                        "Steps of the VM's shutdown ladder taken, by step and result (exited, continued, action_failed)")
                .tags("step", step, "result", result)
                .register(registry)
                .increment();
    }

    @Override
    public void agentCall(String method, boolean ok, long nanos) {
        Timer.builder("jvmm.agent.calls")
                .description("Requests to the guest's agent and their round trip, by method and result")
                .tags("method", method, "result", ok ? "ok" : "error")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Counts what {@code event} tells: a process's exit (by status), an OOM kill, a container made. */
    void count(TaskEvent event) {
        switch (event) {
            case TaskEvent.Exited e ->
                Counter.builder("jvmm.process.exits")
                        .description("Processes ended in this sandbox (a container's init, or an exec), by exit status")
                        .tags(
                                "process",
                                e.id().equals(e.containerId()) ? "init" : "exec",
                                "code",
                                Integer.toString(e.exitStatus()))
                        .register(registry)
                        .increment();
            case TaskEvent.Oom o ->
                Counter.builder("jvmm.container.oom.events")
                        .description("OOM kills reported in this sandbox's containers (coalesced per second)")
                        .register(registry)
                        .increment();
            case TaskEvent.Created c ->
                Counter.builder("jvmm.containers.created")
                        .description("Containers created in this sandbox")
                        .register(registry)
                        .increment();
            default -> {}
        }
    }

    /** The text a Prometheus scrape reads (format 0.0.4). */
    public String scrape() {
        guest.refresh();
        return registry.scrape();
    }

    /** {@code containerd.task.v2.Task} → {@code task.v2.Task}: the label stays short and readable. */
    static String shortService(String service) {
        return service.startsWith("containerd.") ? service.substring("containerd.".length()) : service;
    }
}
