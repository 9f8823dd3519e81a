package io.jvmm.ttrpc;

/**
 * Told of every call a server ends, once: its service, method, the status it ended with (OK, the handler's
 * error, a cancel or a missed deadline) and how long it ran from the request's arrival. Runs on the thread
 * that ended the call (a handler thread or the connection's I/O thread), before the call's last frame is
 * sent: it must not block. What it throws is logged and ignored; the call's answer never depends on it.
 */
@FunctionalInterface
public interface CallObserver {
    CallObserver NONE = (service, method, code, nanos) -> {};

    void callEnded(String service, String method, Code code, long nanos);

    /** The same call with its metadata, start and scope (what a trace needs); by default, {@link #callEnded}. */
    default void ended(EndedCall call) {
        callEnded(call.service(), call.method(), call.code(), call.nanos());
    }

    /**
     * Told on the handler's thread just before the handler runs; the scope it returns is closed on that
     * thread when the handler returns, and comes back in the call's {@link EndedCall}: what the observer
     * keeps of the call meanwhile (a trace's current span, for what the handler does in it).
     */
    default Scope handling(StartedCall call) {
        return Scope.NONE;
    }

    /** What an observer keeps of one call while its handler runs. */
    @FunctionalInterface
    interface Scope extends AutoCloseable {
        Scope NONE = () -> {};

        /** The handler returned (on its thread). */
        @Override
        void close();
    }

    /** Tells {@code first}, then {@code second}; what one throws does not keep the other from being told. */
    static CallObserver both(CallObserver first, CallObserver second) {
        /** Each observer's own scope of one call. */
        record Pair(Scope first, Scope second) implements Scope {
            @Override
            public void close() {
                try {
                    first.close();
                } finally {
                    second.close();
                }
            }
        }
        return new CallObserver() {
            @Override
            public void callEnded(String service, String method, Code code, long nanos) {
                try {
                    first.callEnded(service, method, code, nanos);
                } finally {
                    second.callEnded(service, method, code, nanos);
                }
            }

            @Override
            public void ended(EndedCall call) {
                Pair scopes = call.scope() instanceof Pair p ? p : new Pair(Scope.NONE, Scope.NONE);
                try {
                    first.ended(call.withScope(scopes.first()));
                } finally {
                    second.ended(call.withScope(scopes.second()));
                }
            }

            @Override
            public Scope handling(StartedCall call) {
                Scope a = first.handling(call);
                Scope b;
                try {
                    b = second.handling(call);
                } catch (RuntimeException e) {
                    a.close();
                    throw e;
                }
                return new Pair(a, b);
            }
        };
    }
}
