package io.jvmm.shim.tracing;

import io.jvmm.api.otlp.trace.Span;
import io.jvmm.task.SandboxObserver;
import java.time.Instant;
import java.util.Map;

/**
 * Spans for what a sandbox does inside a call the shim answers: the VM's start (boot or restore) with the
 * part that waited for the guest's agent, and each request to the agent, as children of that call's span
 * (containerd's Create of a lone container, or its CreateSandbox/StartSandbox). What happens outside a
 * call (a template's maker) is not traced.
 */
final class SandboxSpans implements SandboxObserver {
    private final Tracing tracing;

    SandboxSpans(Tracing tracing) {
        this.tracing = tracing;
    }

    @Override
    public void vmStarted(Start how, long monitorNanos, long agentNanos) {
        CallSpan call = tracing.current();
        if (call == null || !call.sampled()) {
            return;
        }
        long end = now();
        long agentStart = end - agentNanos;
        byte[] vm = tracing.child(
                call,
                call.spanId(),
                "jvmm.vm.start",
                Span.SpanKind.SPAN_KIND_INTERNAL,
                agentStart - monitorNanos,
                end,
                Map.of("jvmm.vm.start", how.label()));
        tracing.child(
                call,
                vm,
                "jvmm.agent.ready",
                Span.SpanKind.SPAN_KIND_INTERNAL,
                agentStart,
                end,
                Map.of("jvmm.vm.start", how.label()));
    }

    @Override
    public void agentCall(String method, boolean ok, long nanos) {
        CallSpan call = tracing.current();
        if (call == null || !call.sampled()) {
            return;
        }
        long end = now();
        tracing.child(
                call,
                call.spanId(),
                "jvmm.agent/" + method,
                Span.SpanKind.SPAN_KIND_CLIENT,
                end - nanos,
                end,
                Map.of("rpc.system", "ttrpc", "rpc.method", method, "jvmm.agent.ok", Boolean.toString(ok)));
    }

    private static long now() {
        return Tracing.epochNanos(Instant.now());
    }
}
