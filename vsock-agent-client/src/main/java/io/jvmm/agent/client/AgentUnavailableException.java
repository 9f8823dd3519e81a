package io.jvmm.agent.client;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.StatusCarrier;

/** The guest agent could not be reached before the deadline (guest not booted, agent crashed, VM gone). */
public final class AgentUnavailableException extends RuntimeException implements StatusCarrier {
    private static final long serialVersionUID = 1L;

    public AgentUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Code statusCode() {
        return Code.UNAVAILABLE;
    }
}
