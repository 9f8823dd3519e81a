package io.jvmm.ttrpc.wire;

/** Frame flags; their meaning depends on the message type (PROTOCOL.md, section 1). */
public final class Flags {
    /** Request: the client sends no Data frames. Data: last frame from this side. */
    public static final byte REMOTE_CLOSED = 0x01;
    /** Request: the client will send Data frames (client or bidirectional streaming). */
    public static final byte REMOTE_OPEN = 0x02;
    /** Data: the frame carries no message, only flags. */
    public static final byte NO_DATA = 0x04;

    private Flags() {}

    public static boolean has(byte flags, byte flag) {
        return (flags & flag) == flag;
    }
}
