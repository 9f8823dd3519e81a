package io.jvmm.task;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.StatusCarrier;

/**
 * A Task request the shim refuses, with the status containerd must see. Everything the task layer
 * refuses on purpose is one of these; the ttrpc layer's {@code Statuses} turns it into the answer.
 */
public final class TaskException extends RuntimeException implements StatusCarrier {
    private final Code code;

    private TaskException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    @Override
    public Code statusCode() {
        return code;
    }

    /** A refusal with a code chosen elsewhere (the guest's, mapped by {@code GuestErrors}). */
    public static TaskException of(Code code, String message, Throwable cause) {
        return new TaskException(code, message, cause);
    }

    /** The shim itself failed (a mount, a boot, a file): UNKNOWN with the cause's message, as runc's shim answers. */
    public static TaskException internal(String message, Throwable cause) {
        return new TaskException(Code.UNKNOWN, message, cause);
    }

    public static TaskException notFound(String message) {
        return new TaskException(Code.NOT_FOUND, message, null);
    }

    public static TaskException alreadyExists(String message) {
        return new TaskException(Code.ALREADY_EXISTS, message, null);
    }

    public static TaskException failedPrecondition(String message) {
        return new TaskException(Code.FAILED_PRECONDITION, message, null);
    }

    public static TaskException invalidArgument(String message) {
        return new TaskException(Code.INVALID_ARGUMENT, message, null);
    }

    public static TaskException invalidArgument(String message, Throwable cause) {
        return new TaskException(Code.INVALID_ARGUMENT, message, cause);
    }

    /** The host lacks the memory or space the request needs (the message says how much of which). */
    public static TaskException resourceExhausted(String message) {
        return new TaskException(Code.RESOURCE_EXHAUSTED, message, null);
    }

    public static TaskException unimplemented(String message) {
        return new TaskException(Code.UNIMPLEMENTED, message, null);
    }

    public static TaskException deadlineExceeded(String message) {
        return new TaskException(Code.DEADLINE_EXCEEDED, message, null);
    }

    public static TaskException unavailable(String message, Throwable cause) {
        return new TaskException(Code.UNAVAILABLE, message, cause);
    }
}
