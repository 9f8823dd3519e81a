package io.jvmm.shim.tracing;

import com.google.protobuf.ByteString;
import io.jvmm.api.otlp.common.AnyValue;
import io.jvmm.api.otlp.common.KeyValue;
import io.jvmm.api.otlp.resource.Resource;
import io.jvmm.api.otlp.trace.Span;
import io.jvmm.api.otlp.trace.Status;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.EndedCall;
import io.jvmm.ttrpc.Metadata;
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
public final class Tracing implements AutoCloseable {
    private final OtlpExporter exporter;
    private final Sampler sampler;

    private Tracing(OtlpSettings settings, Resource resource) {
        this.sampler = settings.sampler();
        this.exporter = new OtlpExporter(settings, resource);
    }

    /**
     * Tracing for the shim of sandbox {@code sandboxId} in containerd namespace {@code namespace}, as
     * {@code settings} say.
     */
    public static Tracing start(OtlpSettings settings, String sandboxId, String namespace) {
        Resource resource = Resource.newBuilder()
                .addAttributes(attribute("service.name", settings.serviceName()))
                .addAttributes(attribute(
                        "process.pid", Long.toString(ProcessHandle.current().pid())))
                .addAttributes(attribute("jvmm.sandbox_id", sandboxId))
                .addAttributes(attribute("containerd.namespace", namespace))
                .build();
        return new Tracing(settings, resource);
    }

    /** Records the span of {@code call}, if it is sampled. Never blocks, never throws for a bad context. */
    public void record(EndedCall call) {
        Optional<TraceParent> parent = call.metadata().get(TraceParent.KEY).flatMap(TraceParent::parse);
        byte[] traceId = parent.map(TraceParent::traceId).orElseGet(() -> TraceParent.newId(16));
        if (!sampler.sample(parent, traceId)) {
            return;
        }
        long start = epochNanos(call.start());
        Span.Builder span = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(TraceParent.newId(8)))
                .setName(call.service() + "/" + call.method())
                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                .setStartTimeUnixNano(start)
                .setEndTimeUnixNano(start + call.nanos())
                .addAttributes(attribute("rpc.system", "ttrpc"))
                .addAttributes(attribute("rpc.service", call.service()))
                .addAttributes(attribute("rpc.method", call.method()))
                .addAttributes(attribute("rpc.ttrpc.status_code", call.code().name()));
        parent.ifPresent(p -> span.setParentSpanId(ByteString.copyFrom(p.spanId())));
        call.metadata()
                .get(Metadata.CONTAINERD_NAMESPACE)
                .ifPresent(ns -> span.addAttributes(attribute("containerd.namespace", ns)));
        if (call.code() != Code.OK) {
            span.setStatus(Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage(call.code().name()));
        }
        exporter.offer(span.build());
    }

    /** Spans the collector acknowledged so far. */
    public long exported() {
        return exporter.exported();
    }

    private static long epochNanos(Instant t) {
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

    @Override
    public void close() {
        exporter.close();
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
        };
    }
}
