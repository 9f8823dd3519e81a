package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.PodName;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.ttrpc.Code;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShimMetricsTest {
    @TempDir
    Path dir;

    @Test
    void callsExitsAndMemoryAreSeriesWithTheSandboxsLabels() {
        long self = ProcessHandle.current().pid();
        ShimMetrics metrics =
                new ShimMetrics(Map.of("sandbox_id", "s1", "namespace", "default"), () -> List.of(self), Map::of);
        metrics.callEnded("containerd.task.v2.Task", "Create", Code.OK, TimeUnit.MILLISECONDS.toNanos(250));
        metrics.callEnded("containerd.task.v2.Task", "Create", Code.FAILED_PRECONDITION, 1000);
        metrics.count(new TaskEvent.Exited("c1", "c1", 10, 3, Instant.now()));
        metrics.count(new TaskEvent.Exited("c1", "e1", 11, 0, Instant.now()));
        metrics.count(new TaskEvent.Oom("c1"));
        String text = metrics.scrape();
        assertThat(text)
                .contains("jvmm_ttrpc_calls_seconds_count{code=\"OK\",method=\"Create\",namespace=\"default\","
                        + "sandbox_id=\"s1\",service=\"task.v2.Task\"} 1")
                .contains("jvmm_ttrpc_calls_seconds_sum{code=\"OK\",method=\"Create\",namespace=\"default\","
                        + "sandbox_id=\"s1\",service=\"task.v2.Task\"} 0.25")
                .contains("code=\"FAILED_PRECONDITION\"")
                .contains("jvmm_process_exits_total{code=\"3\",namespace=\"default\",process=\"init\","
                        + "sandbox_id=\"s1\"} 1.0")
                .contains("jvmm_process_exits_total{code=\"0\",namespace=\"default\",process=\"exec\","
                        + "sandbox_id=\"s1\"} 1.0")
                .contains("jvmm_container_oom_events_total{namespace=\"default\",sandbox_id=\"s1\"} 1.0");
        // This test's own JVM stands in for the VM's processes: its PSS is no more than its RSS, both real.
        double rss = value(text, "jvmm_vm_host_memory_bytes\\{kind=\"rss\"[^}]*\\} (\\S+)");
        double pss = value(text, "jvmm_vm_host_memory_bytes\\{kind=\"pss\"[^}]*\\} (\\S+)");
        assertThat(rss).isGreaterThan(10e6);
        assertThat(pss).isPositive().isLessThanOrEqualTo(rss);
        assertThat(value(text, "jvmm_shim_resident_memory_bytes\\{[^}]*\\} (\\S+)"))
                .isGreaterThan(10e6);
    }

    @Test
    void startsTemplatesShutdownStepsAndAgentCallsAreSeries() {
        ShimMetrics metrics = new ShimMetrics(Map.of("sandbox_id", "s1", "namespace", "default"), List::of, Map::of);
        metrics.vmStarted(SandboxObserver.Start.BOOT, TimeUnit.MILLISECONDS.toNanos(500), TimeUnit.SECONDS.toNanos(6));
        metrics.vmStarted(
                SandboxObserver.Start.TEMPLATE, TimeUnit.MILLISECONDS.toNanos(300), TimeUnit.SECONDS.toNanos(1));
        metrics.templateLookup(true);
        metrics.templateLookup(false);
        metrics.templateLookup(false);
        metrics.shutdownStep("agent", "continued");
        metrics.shutdownStep("power-button", "exited");
        metrics.agentCall("CreateContainer", true, TimeUnit.MILLISECONDS.toNanos(40));
        metrics.agentCall("StartContainer", false, TimeUnit.MILLISECONDS.toNanos(2));
        String text = metrics.scrape();
        assertThat(value(text, "jvmm_vm_start_seconds_sum\\{how=\"boot\"[^}]*\\} (\\S+)"))
                .isEqualTo(6.5);
        assertThat(value(text, "jvmm_vm_agent_ready_seconds_sum\\{how=\"template\"[^}]*\\} (\\S+)"))
                .isEqualTo(1.0);
        assertThat(value(text, "jvmm_template_lookups_total\\{[^}]*result=\"hit\"[^}]*\\} (\\S+)"))
                .isEqualTo(1);
        assertThat(value(text, "jvmm_template_lookups_total\\{[^}]*result=\"miss\"[^}]*\\} (\\S+)"))
                .isEqualTo(2);
        assertThat(text)
                .contains("jvmm_shutdown_steps_total{namespace=\"default\",result=\"continued\",sandbox_id=\"s1\","
                        + "step=\"agent\"} 1.0")
                .contains("jvmm_shutdown_steps_total{namespace=\"default\",result=\"exited\",sandbox_id=\"s1\","
                        + "step=\"power-button\"} 1.0")
                .contains(
                        "jvmm_agent_calls_seconds_count{method=\"CreateContainer\",namespace=\"default\",result=\"ok\","
                                + "sandbox_id=\"s1\"} 1")
                .contains("jvmm_agent_calls_seconds_count{method=\"StartContainer\",namespace=\"default\","
                        + "result=\"error\",sandbox_id=\"s1\"} 1");
    }

    @Test
    void theGuestsNumbersForEachContainerAreAskedAtEveryScrape() {
        Map<String, ContainerStats> now = new ConcurrentHashMap<>();
        ShimMetrics metrics =
                new ShimMetrics(Map.of("sandbox_id", "s1", "namespace", "default"), List::of, () -> Map.copyOf(now));
        now.put("c1", stats(3, 2_500_000, 64L << 20));
        now.put("c2", stats(1, 0, 1L << 20));
        String first = metrics.scrape();
        assertThat(value(first, "jvmm_guest_container_memory_bytes\\{container_id=\"c1\"[^}]*\\} (\\S+)"))
                .isEqualTo(64 << 20);
        assertThat(value(first, "jvmm_guest_container_cpu_usage_seconds\\{container_id=\"c1\"[^}]*\\} (\\S+)"))
                .isEqualTo(2.5);
        assertThat(value(first, "jvmm_guest_container_processes\\{container_id=\"c1\"[^}]*\\} (\\S+)"))
                .isEqualTo(3);
        assertThat(first).contains("container_id=\"c2\"");
        now.remove("c2");
        now.put("c1", stats(2, 4_000_000, 32L << 20));
        String second = metrics.scrape();
        assertThat(second).doesNotContain("container_id=\"c2\"");
        assertThat(value(second, "jvmm_guest_container_cpu_usage_seconds\\{container_id=\"c1\"[^}]*\\} (\\S+)"))
                .isEqualTo(4.0);
    }

    private static ContainerStats stats(long pids, long cpuUsec, long memory) {
        return new ContainerStats(pids, 0, cpuUsec, 0, 0, 0, 0, 0, memory, 0, 0, 0, 0);
    }

    @Test
    void aProcessThatIsGoneHoldsNothing() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long self = ProcessHandle.current().pid();
        for (ProcMemory.Kind kind : ProcMemory.Kind.values()) {
            assertThat(ProcMemory.sum(List.of(gone.pid()), kind))
                    .as(kind.label())
                    .isZero();
            // This JVM's own figure moves between two reads: only that it holds memory is checked.
            assertThat(ProcMemory.sum(List.of(self), kind)).as(kind.label()).isPositive();
        }
    }

    @Test
    void podLabelsComeFromCrisAnnotationsElseFromCreateSandbox() {
        Map<String, String> annotations =
                Map.of("io.kubernetes.cri.sandbox-name", "web", "io.kubernetes.cri.sandbox-namespace", "shop");
        assertThat(LateMetrics.labels("p1", "k8s.io", annotations, PodName.NONE))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "sandbox_id", "p1",
                        "namespace", "k8s.io",
                        "pod_name", "web",
                        "pod_namespace", "shop"));
        assertThat(LateMetrics.labels("p2", "k8s.io", Map.of(), new PodName("api", "shop")))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "sandbox_id", "p2",
                        "namespace", "k8s.io",
                        "pod_name", "api",
                        "pod_namespace", "shop"));
        assertThat(LateMetrics.labels("c1", "default", Map.of(), PodName.NONE))
                .containsOnlyKeys("sandbox_id", "namespace");
    }

    private static double value(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in%n%s", regex, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
