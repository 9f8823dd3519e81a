package io.jvmm.shim.tracing;

import io.jvmm.ttrpc.CallObserver;
import java.util.Optional;

/**
 * The span of one ttrpc call while its handler runs: its trace and its own id are known from the start, so
 * that what the handler does meanwhile (a VM's boot, the agent's calls) becomes its children. Current on the
 * handler's thread, and on the threads it starts (the task service runs a Create's guest part on one of its
 * own, to its end even if containerd gives up), until the handler returns; a thread that outlives it keeps
 * the span but adds no children to it.
 */
final class CallSpan implements CallObserver.Scope {
    private final byte[] traceId;
    private final byte[] spanId;
    private final Optional<TraceParent> parent;
    private final boolean sampled;
    private final ThreadLocal<CallSpan> current;
    private volatile boolean closed;

    private CallSpan(
            byte[] traceId,
            byte[] spanId,
            Optional<TraceParent> parent,
            boolean sampled,
            ThreadLocal<CallSpan> current) {
        this.traceId = traceId;
        this.spanId = spanId;
        this.parent = parent;
        this.sampled = sampled;
        this.current = current;
    }

    /**
     * The span of a call whose metadata carried {@code traceparent} (a malformed or absent one: a trace of
     * its own), sampled as {@code sampler} decides; made current on this thread when {@code current} is given.
     */
    static CallSpan open(String traceparent, Sampler sampler, ThreadLocal<CallSpan> current) {
        Optional<TraceParent> parent = TraceParent.parse(traceparent);
        byte[] traceId = parent.map(TraceParent::traceId).orElseGet(() -> TraceParent.newId(16));
        CallSpan span = new CallSpan(traceId, TraceParent.newId(8), parent, sampler.sample(parent, traceId), current);
        if (current != null) {
            current.set(span);
        }
        return span;
    }

    byte[] traceId() {
        return traceId.clone();
    }

    byte[] spanId() {
        return spanId.clone();
    }

    Optional<TraceParent> parent() {
        return parent;
    }

    boolean sampled() {
        return sampled;
    }

    /** Whether its handler still runs: children come only until then. */
    boolean open() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        if (current != null && current.get() == this) {
            current.remove();
        }
    }
}
