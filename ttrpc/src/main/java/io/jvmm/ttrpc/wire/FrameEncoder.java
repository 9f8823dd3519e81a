package io.jvmm.ttrpc.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes a {@link Frame} as a 10-byte header followed by its data. The data buffer is passed on,
 * not copied, so a 1 MiB payload costs no extra copy. Senders check the size limit before they
 * build a frame (and answer RESOURCE_EXHAUSTED); this encoder refuses oversize frames as a last guard.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        int length = frame.dataLength();
        if (length > WireLimits.MAX_DATA_LENGTH) {
            throw new EncoderException(WireLimits.oversizeMessage(length));
        }
        ByteBuf header = ctx.alloc().buffer(WireLimits.HEADER_LENGTH);
        header.writeInt(length);
        header.writeInt(frame.streamId());
        header.writeByte(frame.typeCode());
        header.writeByte(frame.flags());
        out.add(header);
        if (length > 0) {
            out.add(frame.content().retain());
        }
    }
}
