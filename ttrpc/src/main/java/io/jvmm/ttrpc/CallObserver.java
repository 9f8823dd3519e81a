package io.jvmm.ttrpc;

/**
 * Told of every call a server ends, once: its service, method, the status it ended with (OK, the handler's
 * error, a cancel or a missed deadline) and how long it ran from the request's arrival. Runs on the thread
 * that ended the call (a handler thread or the connection's I/O thread): it must not block. What it throws
 * is logged and ignored; the call's answer never depends on it.
 */
@FunctionalInterface
public interface CallObserver {
    CallObserver NONE = (service, method, code, nanos) -> {};

    void callEnded(String service, String method, Code code, long nanos);

    /** The same call with its metadata and start (what a trace needs); by default, {@link #callEnded}. */
    default void ended(EndedCall call) {
        callEnded(call.service(), call.method(), call.code(), call.nanos());
    }

    /** Tells {@code first}, then {@code second}; what one throws does not keep the other from being told. */
    static CallObserver both(CallObserver first, CallObserver second) {
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
                try {
                    first.ended(call);
                } finally {
                    second.ended(call);
                }
            }
        };
    }
}
