package io.jvmm.ttrpc.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Turns bytes into {@link Frame}s. A frame whose length exceeds {@link WireLimits#MAX_DATA_LENGTH}
 * is never buffered: its data is skipped as it arrives and one {@link OversizedFrame} is emitted,
 * so the connection survives exactly as with the reference implementation.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxDataLength;
    private long bytesToSkip;

    public FrameDecoder() {
        this(WireLimits.MAX_DATA_LENGTH);
    }

    public FrameDecoder(int maxDataLength) {
        this.maxDataLength = maxDataLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (bytesToSkip > 0) {
            skipOversizedData(in);
            return;
        }
        if (in.readableBytes() < WireLimits.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        long length = in.getUnsignedInt(start);
        int streamId = in.getInt(start + 4);
        byte type = in.getByte(start + 8);
        byte flags = in.getByte(start + 9);
        if (length > maxDataLength) {
            in.skipBytes(WireLimits.HEADER_LENGTH);
            bytesToSkip = length;
            out.add(new OversizedFrame(streamId, MessageType.fromCode(type), flags, length));
            skipOversizedData(in);
            return;
        }
        if (in.readableBytes() < WireLimits.HEADER_LENGTH + length) {
            return;
        }
        in.skipBytes(WireLimits.HEADER_LENGTH);
        ByteBuf data = in.readRetainedSlice((int) length);
        out.add(new Frame(streamId, type, flags, data));
    }

    private void skipOversizedData(ByteBuf in) {
        int n = (int) Math.min(bytesToSkip, in.readableBytes());
        in.skipBytes(n);
        bytesToSkip -= n;
    }
}
