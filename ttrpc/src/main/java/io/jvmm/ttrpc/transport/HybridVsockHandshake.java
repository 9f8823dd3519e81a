package io.jvmm.ttrpc.transport;

import io.jvmm.sys.HybridVsock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The hybrid vsock preamble ({@link HybridVsock}) on a Netty channel: until the guest's port answers, this
 * handler holds the pipeline; on success it installs the real handlers and passes on any bytes that came
 * with the answer.
 */
public final class HybridVsockHandshake extends ChannelInboundHandlerAdapter {
    private static final int MAX_LINE = HybridVsock.MAX_LINE;

    private final int port;
    private final Promise<Void> done;
    private final Runnable installPipeline;
    private final ByteBuf line = Unpooled.buffer(MAX_LINE);

    public HybridVsockHandshake(int port, Promise<Void> done, Runnable installPipeline) {
        this.port = port;
        this.done = done;
        this.installPipeline = installPipeline;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.copiedBuffer(HybridVsock.request(port), StandardCharsets.US_ASCII));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            while (in.isReadable()) {
                byte b = in.readByte();
                if (b == '\n') {
                    finish(ctx, in);
                    return;
                }
                if (line.readableBytes() >= MAX_LINE) {
                    fail(ctx, "hybrid vsock: answer longer than " + MAX_LINE + " bytes");
                    return;
                }
                line.writeByte(b);
            }
        } finally {
            in.release();
        }
    }

    private void finish(ChannelHandlerContext ctx, ByteBuf rest) {
        try {
            HybridVsock.checkAnswer(port, line.toString(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            fail(ctx, e.getMessage());
            return;
        }
        installPipeline.run();
        ctx.pipeline().remove(this);
        done.trySuccess(null);
        if (rest.isReadable()) {
            ctx.fireChannelRead(rest.retain());
        }
    }

    private void fail(ChannelHandlerContext ctx, String message) {
        done.tryFailure(new IOException(message));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        done.tryFailure(new IOException("hybrid vsock: connection closed before the answer to CONNECT " + port));
        ctx.fireChannelInactive();
    }

    /** While the guest boots, the monitor resets connections to ports nobody listens on yet: an expected failure. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, "hybrid vsock: CONNECT " + port + " failed: " + cause.getMessage());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        line.release();
    }
}
