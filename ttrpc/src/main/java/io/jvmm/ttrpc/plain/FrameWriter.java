package io.jvmm.ttrpc.plain;

import io.jvmm.ttrpc.wire.WireLimits;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes whole frames to a blocking stream, one at a time, each in a single write (header and data
 * together), so frames of concurrent calls never interleave. A slow reader blocks the writers: that is
 * the flow control of a blocking stream.
 */
final class FrameWriter {
    private final OutputStream out;

    FrameWriter(OutputStream out) {
        this.out = out;
    }

    synchronized void write(int streamId, byte type, byte flags, byte[] data) throws IOException {
        byte[] frame = new byte[WireLimits.HEADER_LENGTH + data.length];
        putInt(frame, 0, data.length);
        putInt(frame, 4, streamId);
        frame[8] = type;
        frame[9] = flags;
        System.arraycopy(data, 0, frame, WireLimits.HEADER_LENGTH, data.length);
        out.write(frame);
        out.flush();
    }

    private static void putInt(byte[] b, int offset, int value) {
        b[offset] = (byte) (value >>> 24);
        b[offset + 1] = (byte) (value >>> 16);
        b[offset + 2] = (byte) (value >>> 8);
        b[offset + 3] = (byte) value;
    }
}
