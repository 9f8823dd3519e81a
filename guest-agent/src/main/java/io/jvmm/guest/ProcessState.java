package io.jvmm.guest;

import java.util.Locale;

/** The life of a process in the guest. Transitions only forward; anything else is a caller's error. */
enum ProcessState {
    CREATED,
    RUNNING,
    EXITED;

    ProcessState to(ProcessState next, String what) {
        boolean legal = switch (this) {
            case CREATED -> next == RUNNING || next == EXITED;
            case RUNNING -> next == EXITED;
            case EXITED -> false;
        };
        if (!legal) {
            throw Refusal.failedPrecondition("cannot " + what + ": process is " + name().toLowerCase(Locale.ROOT));
        }
        return next;
    }
}
