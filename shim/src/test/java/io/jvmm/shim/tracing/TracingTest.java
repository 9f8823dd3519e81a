package io.jvmm.shim.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.StringValue;
import io.jvmm.api.otlp.trace.Span;
import io.jvmm.api.otlp.trace.Status;
import io.jvmm.task.SandboxObserver;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.TtrpcServer;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shim's call spans over the real wire: a ttrpc client sends containerd's trace context in the request
 * metadata, the shim's server ends the call, and the span reaches a real OTLP/HTTP collector in that trace.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TracingTest {
    private static final String SVC = "containerd.task.v2.Task";
    private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @TempDir
    Path dir;

    private static ServiceDefinition service() {
        return ServiceDefinition.builder(SVC)
                .unary("Create", StringValue.parser(), (ctx, req) -> req)
                .unary("Start", StringValue.parser(), (ctx, req) -> {
                    throw new TtrpcException(Code.NOT_FOUND, "no such task");
                })
                .build();
    }

    /** Tracing of sandbox {@code sandboxId} (namespace k8s.io) exported to {@code collector}. */
    private static Tracing tracingTo(OtlpReceiver collector, String sandboxId) {
        return Tracing.fromEnvironment(
                        Map.of(
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                collector.endpoint().toString()),
                        sandboxId,
                        "k8s.io")
                .orElseThrow();
    }

    private static CallOptions traced(String traceparent) {
        return CallOptions.DEFAULT
                .metadata(Metadata.CONTAINERD_NAMESPACE, "k8s.io")
                .metadata(TraceParent.KEY, traceparent);
    }

    @Test
    void callsBecomeServerSpansInContainerdsTraceAndReachTheCollector() throws Exception {
        try (OtlpReceiver collector = new OtlpReceiver()) {
            Tracing tracing = tracingTo(collector, "pod-1");
            Path socket = dir.resolve("s.sock");
            try (TtrpcServer server = TtrpcServer.builder()
                            .addService(service())
                            .observer(tracing.calls())
                            .bind(socket);
                    TtrpcClient client = TtrpcClient.connect(socket)) {
                client.unary(SVC, "Create", StringValue.of("c1"), StringValue.parser(), traced(PARENT));
                assertThatThrownBy(() ->
                                client.unary(SVC, "Start", StringValue.of("c1"), StringValue.parser(), traced(PARENT)))
                        .isInstanceOf(TtrpcException.class);
                // Not sampled by containerd: not recorded here either (the trace is dropped whole).
                client.unary(
                        SVC,
                        "Create",
                        StringValue.of("c2"),
                        StringValue.parser(),
                        traced(PARENT.replaceFirst("01$", "00")));
                // No context (containerd 1.6, or not tracing): a trace of its own.
                client.unary(SVC, "Create", StringValue.of("c3"), StringValue.parser());
                // A malformed context is no parent, and no error for the call.
                client.unary(SVC, "Create", StringValue.of("c4"), StringValue.parser(), traced("00-zz"));
                awaitSpans(collector, 4);
            } finally {
                tracing.close(Duration.ofSeconds(5));
            }
            assertThat(collector.contentTypes).containsOnly("application/x-protobuf");
            List<Span> spans = collector.spans();
            Span create = spans.get(0);
            assertThat(create.getName()).isEqualTo(SVC + "/Create");
            assertThat(create.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
            assertThat(hex(create.getTraceId().toByteArray())).isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(hex(create.getParentSpanId().toByteArray())).isEqualTo("b7ad6b7169203331");
            assertThat(create.getSpanId().size()).isEqualTo(8);
            assertThat(create.getEndTimeUnixNano()).isGreaterThanOrEqualTo(create.getStartTimeUnixNano());
            long nowNanos = System.currentTimeMillis() * 1_000_000L;
            assertThat(create.getStartTimeUnixNano()).isBetween(nowNanos - 60_000_000_000L, nowNanos);
            assertThat(OtlpReceiver.attributes(create.getAttributesList()))
                    .containsEntry("rpc.system", "ttrpc")
                    .containsEntry("rpc.service", SVC)
                    .containsEntry("rpc.method", "Create")
                    .containsEntry("rpc.ttrpc.status_code", "OK")
                    .containsEntry("containerd.namespace", "k8s.io");
            assertThat(create.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);

            Span start = spans.get(1);
            assertThat(start.getName()).isEqualTo(SVC + "/Start");
            assertThat(start.getTraceId()).isEqualTo(create.getTraceId());
            assertThat(start.getSpanId()).isNotEqualTo(create.getSpanId());
            assertThat(start.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
            assertThat(start.getStatus().getMessage()).isEqualTo("NOT_FOUND");

            for (Span own : spans.subList(2, 4)) {
                assertThat(own.getTraceId().size()).isEqualTo(16);
                assertThat(own.getTraceId()).isNotEqualTo(create.getTraceId());
                assertThat(own.getParentSpanId().isEmpty()).isTrue();
            }
            assertThat(spans.get(2).getTraceId()).isNotEqualTo(spans.get(3).getTraceId());
            assertThat(OtlpReceiver.attributes(
                            collector.resources().getFirst().getResource().getAttributesList()))
                    .containsEntry("service.name", "jvmm-shim")
                    .containsEntry("jvmm.sandbox_id", "pod-1")
                    .containsEntry("containerd.namespace", "k8s.io")
                    .containsKey("process.pid");
            assertThat(OtlpReceiver.scopes(collector.resources().getFirst())).containsOnly("io.jvmm.shim");
            assertThat(tracing.exported()).isEqualTo(4);
        }
    }

    /**
     * What the sandbox does inside a call (the VM's start, the agent's requests) becomes that call's children:
     * the VM's start under the call's span, the wait for the agent under the VM's start; outside a call,
     * nothing.
     */
    @Test
    void theVmsStartAndTheAgentsCallsAreChildrenOfTheCallTheyRanIn() throws Exception {
        try (OtlpReceiver collector = new OtlpReceiver()) {
            Tracing tracing = tracingTo(collector, "pod-3");
            SandboxObserver sandbox = tracing.sandbox();
            List<Thread> late = new CopyOnWriteArrayList<>();
            ServiceDefinition service = ServiceDefinition.builder(SVC)
                    .unary("Create", StringValue.parser(), (ctx, req) -> {
                        // As the task service does a Create's guest part: on a thread of its own, awaited.
                        Thread.ofVirtual()
                                .start(() ->
                                        sandbox.agentCall("CreateContainer", true, TimeUnit.MILLISECONDS.toNanos(10)))
                                .join();
                        late.add(Thread.ofPlatform().unstarted(() -> sandbox.agentCall("Late", true, 1)));
                        sandbox.vmStarted(
                                SandboxObserver.Start.BOOT,
                                TimeUnit.MILLISECONDS.toNanos(100),
                                TimeUnit.MILLISECONDS.toNanos(50));
                        return req;
                    })
                    .build();
            Path socket = dir.resolve("c.sock");
            try (TtrpcServer server = TtrpcServer.builder()
                            .addService(service)
                            .observer(tracing.calls())
                            .bind(socket);
                    TtrpcClient client = TtrpcClient.connect(socket)) {
                client.unary(SVC, "Create", StringValue.of("c1"), StringValue.parser(), traced(PARENT));
                sandbox.vmStarted(SandboxObserver.Start.TEMPLATE, 1, 1); // no call: no span
                // A thread the handler made that runs on after the call ended: the call has no more children.
                late.getFirst().start();
                late.getFirst().join();
                awaitSpans(collector, 4);
            } finally {
                tracing.close(Duration.ofSeconds(5));
            }
            Map<String, Span> byName = collector.spans().stream().collect(Collectors.toMap(Span::getName, sp -> sp));
            assertThat(byName)
                    .containsOnlyKeys(
                            SVC + "/Create", "jvmm.vm.start", "jvmm.agent.ready", "jvmm.agent/CreateContainer");
            Span create = byName.get(SVC + "/Create");
            Span vm = byName.get("jvmm.vm.start");
            Span ready = byName.get("jvmm.agent.ready");
            Span agent = byName.get("jvmm.agent/CreateContainer");
            assertThat(List.of(vm, ready, agent))
                    .allSatisfy(sp -> assertThat(sp.getTraceId()).isEqualTo(create.getTraceId()));
            assertThat(vm.getParentSpanId()).isEqualTo(create.getSpanId());
            assertThat(agent.getParentSpanId()).isEqualTo(create.getSpanId());
            assertThat(agent.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
            assertThat(ready.getParentSpanId()).isEqualTo(vm.getSpanId());
            assertThat(vm.getEndTimeUnixNano() - vm.getStartTimeUnixNano())
                    .isEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
            assertThat(ready.getEndTimeUnixNano() - ready.getStartTimeUnixNano())
                    .isEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
            assertThat(OtlpReceiver.attributes(vm.getAttributesList())).containsEntry("jvmm.vm.start", "boot");
            assertThat(vm.getStartTimeUnixNano())
                    .isGreaterThanOrEqualTo(create.getStartTimeUnixNano() - TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /** A collector that is down costs the export, never the calls; closing gives up at its deadline. */
    @Test
    void aCollectorThatIsDownDoesNotHoldUpCallsOrTheShimsExit() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Tracing tracing = Tracing.fromEnvironment(
                        Map.of(
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                "http://127.0.0.1:" + closedPort,
                                "OTEL_EXPORTER_OTLP_TIMEOUT",
                                "500"),
                        "pod-2",
                        "default")
                .orElseThrow();
        Path socket = dir.resolve("d.sock");
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(service())
                        .observer(tracing.calls())
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            for (int i = 0; i < 20; i++) {
                assertThat(client.unary(
                                        SVC,
                                        "Create",
                                        StringValue.of("c" + i),
                                        StringValue.parser(),
                                        CallOptions.withTimeout(Duration.ofSeconds(5)))
                                .getValue())
                        .isEqualTo("c" + i);
            }
        }
        long closing = System.nanoTime();
        tracing.close(Duration.ofSeconds(3));
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(10));
        assertThat(tracing.exported()).isZero();
    }

    private static void awaitSpans(OtlpReceiver collector, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (collector.spans().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(collector.spans()).hasSize(count);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
