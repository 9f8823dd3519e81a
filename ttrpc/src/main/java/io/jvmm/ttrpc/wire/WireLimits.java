package io.jvmm.ttrpc.wire;

/** Fixed sizes of the ttrpc wire format. */
public final class WireLimits {
    public static final int HEADER_LENGTH = 10;
    /** Largest data length a frame may carry, as in the reference implementation (4 MiB). */
    public static final int MAX_DATA_LENGTH = 4 << 20;

    private WireLimits() {}

    public static String oversizeMessage(long length) {
        return "message length " + length + " exceed maximum message size of " + MAX_DATA_LENGTH;
    }
}
