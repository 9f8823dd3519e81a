package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        ShimMetrics metrics = new ShimMetrics(Map.of("sandbox_id", "s1", "namespace", "default"), () -> List.of(self));
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
    void aProcessThatIsGoneHoldsNothing() throws Exception {
        Path rollup = dir.resolve("smaps_rollup");
        Files.writeString(rollup, "55d0-7ff [rollup]\nRss:              2048 kB\nPss:               512 kB\n");
        assertThat(ProcMemory.rollupBytes(rollup, ProcMemory.Kind.RSS)).isEqualTo(2048 * 1024);
        assertThat(ProcMemory.rollupBytes(rollup, ProcMemory.Kind.PSS)).isEqualTo(512 * 1024);
        assertThat(ProcMemory.rollupBytes(dir.resolve("gone"), ProcMemory.Kind.PSS))
                .isZero();
    }

    @Test
    void podLabelsComeFromCrisAnnotations() throws Exception {
        Files.writeString(
                dir.resolve("config.json"),
                "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"web\","
                        + "\"io.kubernetes.cri.sandbox-namespace\":\"shop\"}}");
        assertThat(LateMetrics.labels("p1", "k8s.io", dir))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "sandbox_id", "p1",
                        "namespace", "k8s.io",
                        "pod_name", "web",
                        "pod_namespace", "shop"));
        assertThat(LateMetrics.labels("c1", "default", dir.resolve("none")))
                .containsOnlyKeys("sandbox_id", "namespace");
    }

    private static double value(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in%n%s", regex, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
