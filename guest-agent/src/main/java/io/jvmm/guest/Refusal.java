package io.jvmm.guest;

import io.jvmm.api.Identifiers;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;

/**
 * What the agent refuses on purpose, with the status the host sees; anything else a call throws reaches
 * the host as UNKNOWN (as in Go's ttrpc), and the host maps what it receives once more (its GuestErrors).
 */
final class Refusal {
    private Refusal() {}

    static TtrpcException notFound(String message) {
        return new TtrpcException(Code.NOT_FOUND, message);
    }

    static TtrpcException failedPrecondition(String message) {
        return new TtrpcException(Code.FAILED_PRECONDITION, message);
    }

    static TtrpcException invalidArgument(String message) {
        return new TtrpcException(Code.INVALID_ARGUMENT, message);
    }

    /** containerd's identifier rules, refused as INVALID_ARGUMENT. */
    static String validId(String kind, String id) {
        try {
            return Identifiers.validate(kind, id);
        } catch (IllegalArgumentException e) {
            throw invalidArgument(e.getMessage());
        }
    }
}
