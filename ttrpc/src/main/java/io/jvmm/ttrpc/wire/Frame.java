package io.jvmm.ttrpc.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * One ttrpc frame: header fields plus the data bytes. The frame owns its data buffer; whoever
 * receives a frame releases it.
 */
public final class Frame extends DefaultByteBufHolder {
    private final int streamId;
    private final byte typeCode;
    private final byte flags;

    public Frame(int streamId, byte typeCode, byte flags, ByteBuf data) {
        super(data);
        this.streamId = streamId;
        this.typeCode = typeCode;
        this.flags = flags;
    }

    public Frame(int streamId, MessageType type, byte flags, ByteBuf data) {
        this(streamId, type.code(), flags, data);
    }

    public static Frame empty(int streamId, MessageType type, byte flags) {
        return new Frame(streamId, type, flags, Unpooled.EMPTY_BUFFER);
    }

    /** The stream id as an unsigned 32-bit value. */
    public long streamIdUnsigned() {
        return Integer.toUnsignedLong(streamId);
    }

    public int streamId() {
        return streamId;
    }

    public MessageType type() {
        return MessageType.fromCode(typeCode);
    }

    public byte typeCode() {
        return typeCode;
    }

    public byte flags() {
        return flags;
    }

    public boolean hasFlag(byte flag) {
        return Flags.has(flags, flag);
    }

    public int dataLength() {
        return content().readableBytes();
    }

    @Override
    public Frame replace(ByteBuf content) {
        return new Frame(streamId, typeCode, flags, content);
    }

    @Override
    public Frame retain() {
        super.retain();
        return this;
    }

    @Override
    public String toString() {
        return "Frame{stream=" + streamIdUnsigned() + ", type=" + type() + "(" + typeCode + "), flags=" + flags
                + ", length=" + (refCnt() > 0 ? dataLength() : -1) + "}";
    }
}
