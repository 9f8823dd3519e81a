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
}
