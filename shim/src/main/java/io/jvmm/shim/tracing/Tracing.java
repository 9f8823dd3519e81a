package io.jvmm.shim.tracing;

import com.google.protobuf.ByteString;
import io.jvmm.api.otlp.common.AnyValue;
import io.jvmm.api.otlp.common.KeyValue;
import io.jvmm.api.otlp.resource.Resource;
import io.jvmm.api.otlp.trace.Span;
import io.jvmm.api.otlp.trace.Status;
import io.jvmm.task.SandboxObserver;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.EndedCall;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.StartedCall;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The shim's traces: a server span for every ttrpc call it answers (Task, Sandbox, events), in the trace
 * containerd sends along ({@link TraceParent}) or in one of its own, exported over OTLP
 * ({@link OtlpExporter}). Made only when the environment asks for it ({@link OtlpSettings}); otherwise no
 * class of this package is loaded.
 */
public final class Tracing {
    private final OtlpExporter exporter;
    private final Sampler sampler;
    /** Inherited: the work a handler hands to a thread of its own is still the call's. */
    private final ThreadLocal<CallSpan> current = new InheritableThreadLocal<>();

    private Tracing(OtlpSettings settings, Resource resource) {
        this.sampler = settings.sampler();
        this.exporter = new OtlpExporter(settings, resource);
    }

    /**
     * Tracing for the shim of sandbox {@code sandboxId} in containerd namespace {@code namespace}, as
     * {@code settings} say.
     */
    private static Tracing start(OtlpSettings settings, String sandboxId, String namespace) {
        Resource resource = Resource.newBuilder()
                .addAttributes(attribute("service.name", settings.serviceName()))
                .addAttributes(attribute(
                        "process.pid", Long.toString(ProcessHandle.current().pid())))
                .addAttributes(attribute("jvmm.sandbox_id", sandboxId))
                .addAttributes(attribute("containerd.namespace", namespace))
                .build();
        return new Tracing(settings, resource);
    }

    /**
     * Records the span of {@code call}, if it is sampled (with the id its handler's children named as their
     * parent). Never blocks, never throws for a bad context.
     */
    public void record(EndedCall call) {
        CallSpan span = call.scope() instanceof CallSpan s
                ? s
                : CallSpan.open(call.metadata().get(TraceParent.KEY).orElse(null), sampler, null);
        span.close(); // the call has ended: no more children (ttrpc tells this before the answer leaves)
        if (!span.sampled()) {
            return;
        }
        long start = epochNanos(call.start());
        Span.Builder built = span(
                span.traceId(),
                span.spanId(),
                span.parent().map(TraceParent::spanId).orElse(null),
                call.service() + "/" + call.method(),
                Span.SpanKind.SPAN_KIND_SERVER,
                start,
                start + call.nanos(),
                Map.of(
                        "rpc.system", "ttrpc",
                        "rpc.service", call.service(),
                        "rpc.method", call.method(),
                        "rpc.ttrpc.status_code", call.code().name()));
        call.metadata()
                .get(Metadata.CONTAINERD_NAMESPACE)
                .ifPresent(ns -> built.addAttributes(attribute("containerd.namespace", ns)));
        if (call.code() != Code.OK) {
            built.setStatus(Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage(call.code().name()));
        }
        exporter.offer(built.build());
    }

    /** The span of the call whose handler runs on this thread; null outside a call. */
    CallSpan current() {
        CallSpan span = current.get();
        return span != null && span.open() ? span : null;
    }

    /** Records a span of {@code call}'s trace under {@code parentSpanId}; returns its id. */
    byte[] child(
            CallSpan call,
            byte[] parentSpanId,
            String name,
            Span.SpanKind kind,
            long startEpochNanos,
            long endEpochNanos,
            Map<String, String> attributes) {
        byte[] id = TraceParent.newId(8);
        exporter.offer(span(call.traceId(), id, parentSpanId, name, kind, startEpochNanos, endEpochNanos, attributes)
                .build());
        return id;
    }

    /** A span of trace {@code traceId}; {@code parentSpanId} null for a root. */
    private static Span.Builder span(
            byte[] traceId,
            byte[] spanId,
            byte[] parentSpanId,
            String name,
            Span.SpanKind kind,
            long startEpochNanos,
            long endEpochNanos,
            Map<String, String> attributes) {
        Span.Builder span = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(spanId))
                .setName(name)
                .setKind(kind)
                .setStartTimeUnixNano(startEpochNanos)
                .setEndTimeUnixNano(endEpochNanos);
        if (parentSpanId != null) {
            span.setParentSpanId(ByteString.copyFrom(parentSpanId));
        }
        attributes.forEach((k, v) -> span.addAttributes(attribute(k, v)));
        return span;
    }

    /** What the sandbox tells of its VM's start and its agent's calls: spans under the current call's. */
    public SandboxObserver sandbox() {
        return new SandboxSpans(this);
    }

    /** Spans the collector acknowledged so far. */
    public long exported() {
        return exporter.exported();
    }

    static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    static KeyValue attribute(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    /** Sends what is left, waiting {@code timeout} at most (the shim's last calls end just before it exits). */
    public void close(Duration timeout) {
        exporter.close(timeout);
    }

    /**
     * Tracing as {@code env} asks for it (see {@link OtlpSettings#fromEnvironment}); empty when it asks for
     * none. Settings this shim cannot follow are an IllegalArgumentException naming them.
     */
    public static Optional<Tracing> fromEnvironment(Map<String, String> env, String sandboxId, String namespace) {
        return OtlpSettings.fromEnvironment(env).map(s -> start(s, sandboxId, namespace));
    }

    /** What the ttrpc server tells of its calls: each becomes a span. */
    public CallObserver calls() {
        return new CallObserver() {
            @Override
            public void callEnded(String service, String method, Code code, long nanos) {
                // ended() below has all of it
            }

            @Override
            public void ended(EndedCall call) {
                record(call);
            }

            @Override
            public Scope handling(StartedCall call) {
                return CallSpan.open(call.metadata().get(TraceParent.KEY).orElse(null), sampler, current);
            }
        };
    }
}
