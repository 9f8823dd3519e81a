package io.jvmm.mux;

import java.io.IOException;

/** Bytes on the mux pipe that are not a valid frame, or a frame that breaks the protocol. */
public final class MuxProtocolException extends IOException {
    public MuxProtocolException(String message) {
        super(message);
    }
}
