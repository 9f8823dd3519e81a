package io.jvmm.ttrpc;

import java.util.Objects;

/** A call's outcome: a code and a human-readable message. Converted to google.rpc.Status at the edge. */
public record Status(Code code, String message) {
    public static final Status OK = new Status(Code.OK, "");

    public Status {
        Objects.requireNonNull(code, "code");
        message = message == null ? "" : message;
    }

    public static Status of(Code code, String message) {
        return new Status(code, message);
    }

    public boolean isOk() {
        return code == Code.OK;
    }

    public TtrpcException asException() {
        return new TtrpcException(this);
    }

    @Override
    public String toString() {
        return code + (message.isEmpty() ? "" : ": " + message);
    }
}
