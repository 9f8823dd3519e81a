package io.jvmm.task.guest;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.util.Set;

/**
 * The guest's answers as statuses containerd may see. The guest is untrusted: only codes that say something
 * about the request are kept (not found, exists, bad argument, wrong state, too slow, out of room); any other
 * code it chooses (UNAVAILABLE, PERMISSION_DENIED, OK with an error...) becomes UNKNOWN, and its message is
 * marked as the guest's, stripped of control characters and cut short.
 */
public final class GuestErrors {
    static final int MAX_MESSAGE = 512;
    private static final Set<Code> KEPT = Set.of(
            Code.NOT_FOUND,
            Code.ALREADY_EXISTS,
            Code.INVALID_ARGUMENT,
            Code.FAILED_PRECONDITION,
            Code.DEADLINE_EXCEEDED,
            Code.RESOURCE_EXHAUSTED,
            Code.OUT_OF_RANGE);

    private GuestErrors() {}

    /** A failed call: the guest's answer (or the host's own deadline) as a task error. */
    public static TaskException map(String call, TtrpcException e) {
        Code code = KEPT.contains(e.code()) ? e.code() : Code.UNKNOWN;
        return TaskException.of(code, "guest " + call + ": " + clean(e.status().message()), e);
    }

    static String clean(String message) {
        StringBuilder b = new StringBuilder(Math.min(message.length(), MAX_MESSAGE));
        for (int i = 0; i < message.length() && b.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return message.length() > MAX_MESSAGE ? b + "..." : b.toString();
    }
}
