package io.jvmm.ttrpc;

/** Where a method's handler runs. */
public enum Dispatch {
    /** On a handler thread: the handler may block (the default, and the only choice for streaming methods). */
    WORKER,
    /**
     * On the connection's I/O thread, saving two thread hand-offs per call. Only for unary handlers
     * that never block (no I/O, no locks held long, no waiting); a blocking one stalls the connection.
     */
    EVENT_LOOP
}
