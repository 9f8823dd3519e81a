package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.WireLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds outgoing frames from protobuf messages, refusing any that exceed the wire limit. */
public final class Frames {
    private Frames() {}

    public static Frame of(int streamId, MessageType type, byte flags, MessageLite message) {
        return new Frame(streamId, type, flags, serialize(message));
    }

    public static Frame data(int streamId, byte flags, ByteString bytes) {
        checkSize(bytes.size());
        return new Frame(streamId, MessageType.DATA, flags, Unpooled.wrappedBuffer(bytes.asReadOnlyByteBuffer()));
    }

    /** A Response frame; a payload too large to send becomes a RESOURCE_EXHAUSTED status instead. */
    public static Frame response(int streamId, Status status, ByteString payload) {
        return of(streamId, MessageType.RESPONSE, (byte) 0, Responses.of(status, payload));
    }

    public static void checkSize(int length) {
        if (length > WireLimits.MAX_DATA_LENGTH) {
            throw new TtrpcException(Code.RESOURCE_EXHAUSTED, WireLimits.oversizeMessage(length));
        }
    }

    private static ByteBuf serialize(MessageLite message) {
        checkSize(message.getSerializedSize());
        return Unpooled.wrappedBuffer(message.toByteArray());
    }
}
