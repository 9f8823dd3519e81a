package io.jvmm.ttrpc;

import java.time.Instant;

/**
 * A call a server ended, as {@link CallObserver#ended} is told of it: its service and method, the request's
 * metadata (containerd's namespace, a trace context), the status it ended with, when its request arrived,
 * how long it ran from then, and what the observer's {@link CallObserver#handling} returned for it
 * ({@link CallObserver.Scope#NONE} if the call ended before its handler ran).
 */
public record EndedCall(
        String service,
        String method,
        Metadata metadata,
        Code code,
        Instant start,
        long nanos,
        CallObserver.Scope scope) {
    /** The same call with {@code other} as its scope (for one of composed observers). */
    public EndedCall withScope(CallObserver.Scope other) {
        return new EndedCall(service, method, metadata, code, start, nanos, other);
    }
}
