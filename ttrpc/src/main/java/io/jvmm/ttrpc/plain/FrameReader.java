package io.jvmm.ttrpc.plain;

import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.OversizedFrame;
import io.jvmm.ttrpc.wire.WireLimits;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads frames from a blocking stream. A frame longer than {@link WireLimits#MAX_DATA_LENGTH} is
 * skipped as it arrives, never buffered, and reported as an {@link OversizedFrame}, as the Netty
 * decoder does, so the connection survives it.
 */
final class FrameReader {
    private final InputStream in;
    private final byte[] header = new byte[WireLimits.HEADER_LENGTH];

    FrameReader(InputStream in) {
        this.in = in;
    }

    /** A {@link PlainFrame} or an {@link OversizedFrame}; null at a clean end of the stream. */
    Object next() throws IOException {
        int n = in.readNBytes(header, 0, header.length);
        if (n == 0) {
            return null;
        }
        if (n < header.length) {
            throw new EOFException("connection closed inside a frame header");
        }
        long length = Integer.toUnsignedLong(intAt(0));
        int streamId = intAt(4);
        byte type = header[8];
        byte flags = header[9];
        if (length > WireLimits.MAX_DATA_LENGTH) {
            skip(length);
            return new OversizedFrame(streamId, MessageType.fromCode(type), flags, length);
        }
        byte[] data = in.readNBytes((int) length);
        if (data.length < length) {
            throw new EOFException("connection closed inside a frame's data");
        }
        return new PlainFrame(streamId, type, flags, data);
    }

    private void skip(long length) throws IOException {
        byte[] sink = new byte[8192];
        for (long left = length; left > 0; ) {
            int n = in.read(sink, 0, (int) Math.min(sink.length, left));
            if (n < 0) {
                throw new EOFException("connection closed inside an oversized frame");
            }
            left -= n;
        }
    }

    private int intAt(int offset) {
        return (header[offset] & 0xff) << 24
                | (header[offset + 1] & 0xff) << 16
                | (header[offset + 2] & 0xff) << 8
                | (header[offset + 3] & 0xff);
    }
}
