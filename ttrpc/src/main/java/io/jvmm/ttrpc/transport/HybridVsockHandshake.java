package io.jvmm.ttrpc.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The hybrid vsock preamble of Firecracker, Cloud Hypervisor and vhost-device-vsock: the host connects
 * to the monitor's unix socket, sends {@code CONNECT <port>\n} and reads {@code OK <n>\n}; after that
 * the connection is the guest's port. Until then this handler holds the pipeline; on success it
 * installs the real handlers and passes on any bytes that came with the answer.
 */
public final class HybridVsockHandshake extends ChannelInboundHandlerAdapter {
    private static final int MAX_LINE = 64;

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
        ctx.writeAndFlush(Unpooled.copiedBuffer("CONNECT " + port + "\n", StandardCharsets.US_ASCII));
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
        String answer = line.toString(StandardCharsets.US_ASCII);
        if (!answer.startsWith("OK ")) {
            fail(ctx, "hybrid vsock: port " + port + " refused (" + (answer.isEmpty() ? "connection closed" : answer) + ")");
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
