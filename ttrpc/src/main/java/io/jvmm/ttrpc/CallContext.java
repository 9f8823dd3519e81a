package io.jvmm.ttrpc;

import java.time.Duration;
import java.util.Optional;

/** What a server-side handler knows about the call it serves. */
public interface CallContext {
    String service();

    String method();

    Metadata metadata();

    /** Time left until the caller's deadline, if it set one. */
    Optional<Duration> timeRemaining();

    /** True once the call's deadline passed, the peer went away or the server is stopping it. */
    boolean isCancelled();

    /** Throws the call's terminal status if it was cancelled; long handlers call this between steps. */
    void checkCancelled();

    /** Runs the action when the call is cancelled (at once if it already is). */
    void onCancel(Runnable action);
}
