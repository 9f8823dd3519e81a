package io.jvmm.ttrpc;

/**
 * Implemented by domain exceptions of higher layers that know their status code (for example
 * "not found" or "failed precondition" from a state machine), so that they need not depend on
 * {@link TtrpcException} yet map to the right code in {@link Statuses}.
 */
public interface StatusCarrier {
    Code statusCode();

    String getMessage();
}
