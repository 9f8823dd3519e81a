package io.jvmm.ttrpc.wire;

/**
 * What the decoder emits instead of a frame whose declared length exceeds the limit: the data was
 * skipped without being buffered, and the receiver answers with RESOURCE_EXHAUSTED on that stream.
 */
public record OversizedFrame(int streamId, MessageType type, byte flags, long declaredLength) {
    public String message() {
        return WireLimits.oversizeMessage(declaredLength);
    }
}
