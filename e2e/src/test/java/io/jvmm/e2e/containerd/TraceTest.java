package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.api.otlp.trace.ResourceSpans;
import io.jvmm.api.otlp.trace.Span;
import io.jvmm.e2e.Leftovers;
import io.jvmm.shim.tracing.OtlpReceiver;
import io.jvmm.shim.tracing.OtlpSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Traces as an operator collects them (issue 26): containerd 2.1 traced through the OpenTelemetry
 * environment variables (its documented way), its shims inheriting them, both exporting to one OTLP/HTTP
 * collector run by the test. One {@code ctr run} is one trace: each of the shim's call spans is the child
 * of the client span containerd made for that call and sent along in the ttrpc metadata, and the VM's boot
 * and the agent's requests are children of the shim's span of the call they ran in. Untraced, no
 * shim JVM loads the exporter, OTLP's messages or the JDK's HTTP client (their class logs show it).
 */
class TraceTest {
    private static final long TIMEOUT = 240;

    @Test
    void aCtrRunIsOneTraceFromContainerdIntoTheShim() throws Exception {
        JvmmRuntime jvmm = JvmmRuntime.get();
        Path classLogs = Files.createTempDirectory(Path.of("/tmp"), "jvmm-trace");
        try (OtlpReceiver collector = new OtlpReceiver()) {
            PrivateContainerd containerd = PrivateContainerd.startWith(
                    List.of(jvmm.binDir()),
                    Map.of(
                            "OTEL_EXPORTER_OTLP_ENDPOINT",
                            collector.endpoint().toString(),
                            "OTEL_EXPORTER_OTLP_PROTOCOL",
                            "http/protobuf",
                            "OTEL_TRACES_SAMPLER",
                            "always_on",
                            "JVMM_JAVA_OPTS",
                            classLog(classLogs.resolve("traced"))));
            try {
                runExiting5(containerd, "t-run");
                // Both export in batches (containerd's every 5 s): wait until each side has sent its span of each.
                List<String> methods = List.of("/Create", "/Start", "/Wait", "/Delete", "/Shutdown");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!methods.stream()
                                .allMatch(m -> shimSpan(collector, m) != null
                                        && containerdSpan(collector, shimSpan(collector, m)) != null)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                for (String method : methods) {
                    Span shim = shimSpan(collector, method);
                    assertThat(shim)
                            .as("the shim's span of " + method + "; spans: " + names(collector))
                            .isNotNull();
                    assertThat(shim.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
                    Span parent = containerdSpan(collector, shim);
                    assertThat(parent)
                            .as("containerd's span that " + shim.getName() + " continues; spans: " + names(collector))
                            .isNotNull();
                    assertThat(parent.getTraceId()).isEqualTo(shim.getTraceId());
                    assertThat(parent.getName()).endsWith(method);
                }
                // Inside the shim's Create: the VM's boot (and its wait for the agent), and the agent's requests.
                Span create = shimSpan(collector, "/Create");
                Span boot = named(collector, "jvmm.vm.start");
                assertThat(boot)
                        .as("the VM's start; spans: " + names(collector))
                        .isNotNull();
                assertThat(boot.getParentSpanId()).isEqualTo(create.getSpanId());
                assertThat(boot.getTraceId()).isEqualTo(create.getTraceId());
                assertThat(boot.getStartTimeUnixNano()).isGreaterThanOrEqualTo(create.getStartTimeUnixNano());
                assertThat(boot.getEndTimeUnixNano()).isLessThanOrEqualTo(create.getEndTimeUnixNano());
                Span ready = named(collector, "jvmm.agent.ready");
                assertThat(ready.getParentSpanId()).isEqualTo(boot.getSpanId());
                Span createContainer = named(collector, "jvmm.agent/CreateContainer");
                assertThat(createContainer.getParentSpanId()).isEqualTo(create.getSpanId());
                assertThat(named(collector, "jvmm.agent/StartContainer").getParentSpanId())
                        .isEqualTo(shimSpan(collector, "/Start").getSpanId());
            } finally {
                assertThat(jvmm.closeAndListLeftovers(containerd))
                        .as("what the run left")
                        .isEmpty();
            }
            assertThat(tracingClasses(classLogs.resolve("traced")))
                    .as("the traced shim's tracing classes (so the check below can see them)")
                    .isNotEmpty();

            // The same run untraced (no OTLP endpoint): none of it is loaded in any of the shim's JVMs.
            PrivateContainerd untraced = PrivateContainerd.startWith(
                    List.of(jvmm.binDir()), Map.of("JVMM_JAVA_OPTS", classLog(classLogs.resolve("untraced"))));
            try {
                runExiting5(untraced, "u-run");
            } finally {
                assertThat(jvmm.closeAndListLeftovers(untraced))
                        .as("what the run left")
                        .isEmpty();
            }
            assertThat(logs(classLogs.resolve("untraced")))
                    .as("the untraced shims' class logs")
                    .isNotEmpty();
            assertThat(tracingClasses(classLogs.resolve("untraced"))).isEmpty();
        } finally {
            Leftovers.deleteTree(classLogs);
        }
    }

    private static String classLog(Path dir) throws IOException {
        Files.createDirectories(dir);
        return "-Xlog:class+load=info:file=" + dir + "/classes-%p.log";
    }

    private static void runExiting5(PrivateContainerd containerd, String id) throws Exception {
        PrivateContainerd.Result run = containerd.ctr(
                null,
                CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, null, List.of(), id, "sh", "-c", "exit 5")));
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(5);
        // ctr returns once the task is deleted; its shim then ends on its own (Shutdown): let it, rather than
        // have the containerd's close kill it halfway through its exit.
        String address = containerd.socket().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Leftovers.processesMentioning(address).stream()
                        .anyMatch(p -> p.pid() != containerd.process().pid())
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static List<Path> logs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    /** Classes of the span exporter, OTLP's messages or the JDK's HTTP client in the shims' class logs. */
    private static List<String> tracingClasses(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path log : logs(dir)) {
            Files.readAllLines(log).stream()
                    .filter(l -> l.contains(" io.jvmm.shim.tracing.Tracing ")
                            || l.contains(" io.jvmm.api.otlp.")
                            || l.contains(" java.net.http."))
                    .forEach(found::add);
        }
        return found;
    }

    private static boolean fromShim(ResourceSpans rs) {
        return rs.getResource().getAttributesList().stream()
                .anyMatch(kv -> kv.getKey().equals("service.name")
                        && kv.getValue().getStringValue().equals(OtlpSettings.SERVICE_NAME));
    }

    private static List<Span> spans(OtlpReceiver collector, boolean shim) {
        return collector.resources().stream()
                .filter(rs -> fromShim(rs) == shim)
                .flatMap(rs -> rs.getScopeSpansList().stream())
                .flatMap(s -> s.getSpansList().stream())
                .toList();
    }

    /** The shim's span of a Task method (the last one, should containerd have called it twice). */
    private static Span shimSpan(OtlpReceiver collector, String method) {
        return spans(collector, true).stream()
                .filter(s -> s.getName().startsWith("containerd.task.")
                        && s.getName().endsWith(method))
                .reduce((a, b) -> b)
                .orElse(null);
    }

    private static Span named(OtlpReceiver collector, String name) {
        return spans(collector, true).stream()
                .filter(s -> s.getName().equals(name))
                .findFirst()
                .orElse(null);
    }

    private static Span containerdSpan(OtlpReceiver collector, Span child) {
        return spans(collector, false).stream()
                .filter(s -> s.getSpanId().equals(child.getParentSpanId()))
                .findFirst()
                .orElse(null);
    }

    private static String names(OtlpReceiver collector) {
        return collector.resources().stream()
                .map(rs -> OtlpReceiver.attributes(rs.getResource().getAttributesList()) + ": "
                        + rs.getScopeSpansList().stream()
                                .flatMap(s -> s.getSpansList().stream())
                                .map(Span::getName)
                                .toList())
                .toList()
                .toString();
    }
}
