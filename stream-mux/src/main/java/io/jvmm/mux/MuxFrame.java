package io.jvmm.mux;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * One frame of the stream multiplexer that carries the agent's connections over a single byte pipe
 * (a virtio-serial port): {@code kind u8 | stream u32 | length u32 | payload}, big-endian.
 *
 * @param kind    what the frame says
 * @param stream  the stream it belongs to (0 for {@link Kind#HELLO})
 * @param payload at most {@link #MAX_PAYLOAD} bytes
 */
public record MuxFrame(Kind kind, int stream, byte[] payload) {
    public static final int HEADER = 9;
    public static final int MAX_PAYLOAD = 64 * 1024;

    /** Frame kinds; the codes are the wire values. */
    public enum Kind {
        /** Starts a session (host) or confirms it (guest, echoing the payload): every stream before it is gone. */
        HELLO(1),
        /** Host asks for a stream to a guest port (payload: port, u32). */
        OPEN(2),
        /** Guest accepted the stream. */
        ACCEPT(3),
        /** Guest has nobody listening on that port. */
        REFUSE(4),
        /** Bytes of the stream, within the receiver's credit. */
        DATA(5),
        /** The receiver consumed bytes and grants that many more (payload: u32). */
        CREDIT(6),
        /** The sender will send no more bytes (half close). */
        EOF(7),
        /** The stream is gone in both directions. */
        RESET(8);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) throws MuxProtocolException {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new MuxProtocolException("unknown frame kind " + code);
        }
    }

    public MuxFrame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    static MuxFrame withInt(Kind kind, int stream, int value) {
        return new MuxFrame(kind, stream, ByteBuffer.allocate(4).putInt(value).array());
    }

    /** The payload as the u32 that OPEN and CREDIT carry. */
    int intPayload() throws MuxProtocolException {
        if (payload.length != 4) {
            throw new MuxProtocolException(kind + " carries 4 bytes, not " + payload.length);
        }
        return ByteBuffer.wrap(payload).getInt();
    }

    public byte[] encode() {
        return ByteBuffer.allocate(HEADER + payload.length)
                .put((byte) kind.code)
                .putInt(stream)
                .putInt(payload.length)
                .put(payload)
                .array();
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(encode());
    }

    /**
     * Reads one frame; {@link EOFException} when the pipe ends (also mid-frame), {@link MuxProtocolException}
     * when the header cannot be a frame (the length is checked before anything is allocated).
     */
    public static MuxFrame readFrom(InputStream in) throws IOException {
        DataInputStream data = in instanceof DataInputStream d ? d : new DataInputStream(in);
        int first = data.read();
        if (first < 0) {
            throw new EOFException("mux pipe ended");
        }
        Kind kind = Kind.of(first);
        int stream = data.readInt();
        int length = data.readInt();
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new MuxProtocolException(
                    "frame length " + Integer.toUnsignedString(length) + " exceeds " + MAX_PAYLOAD);
        }
        if ((kind == Kind.HELLO) != (stream == 0)) {
            throw new MuxProtocolException(kind + " on stream " + stream);
        }
        byte[] payload = new byte[length];
        data.readFully(payload);
        return new MuxFrame(kind, stream, payload);
    }
}
