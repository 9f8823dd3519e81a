package io.jvmm.ttrpc.plain;

import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.MessageType;

/** One ttrpc frame read from or written to a blocking stream: the header's fields and its data. */
record PlainFrame(int streamId, byte typeCode, byte flags, byte[] data) {
    MessageType type() {
        return MessageType.fromCode(typeCode);
    }

    boolean hasFlag(byte flag) {
        return Flags.has(flags, flag);
    }

    /** The stream id as an unsigned 32-bit value. */
    long streamIdUnsigned() {
        return Integer.toUnsignedLong(streamId);
    }
}
