package io.jvmm.ttrpc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HybridVsockHandshakeTest {
    private final List<String> passedOn = new ArrayList<>();
    private final Promise<Void> done = ImmediateEventExecutor.INSTANCE.newPromise();

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline()
                .addLast(
                        "handshake",
                        new HybridVsockHandshake(
                                1024,
                                done,
                                () -> ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ByteBuf b = (ByteBuf) msg;
                                        passedOn.add(b.toString(StandardCharsets.US_ASCII));
                                        b.release();
                                    }
                                })));
        ch.pipeline().fireChannelActive();
        return ch;
    }

    private static ByteBuf bytes(String s) {
        return PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String written(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        String s = out.toString(StandardCharsets.US_ASCII);
        out.release();
        return s;
    }

    @Test
    void sendsConnectAndHandsOverBytesThatFollowTheAnswer() {
        EmbeddedChannel ch = channel();
        assertThat(written(ch)).isEqualTo("CONNECT 1024\n");
        ch.writeInbound(bytes("OK 10"));
        assertThat(done.isDone()).isFalse();
        ch.writeInbound(bytes("73\nfirst-ttrpc-bytes"));
        assertThat(done.isSuccess()).isTrue();
        assertThat(passedOn).containsExactly("first-ttrpc-bytes");
        assertThat(ch.pipeline().get("handshake")).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aRefusalFailsWithTheMonitorsAnswer() {
        EmbeddedChannel ch = channel();
        written(ch);
        ch.writeInbound(bytes("ERR no listener\n"));
        assertThat(done.isSuccess()).isFalse();
        assertThat(done.cause()).hasMessageContaining("port 1024 refused (ERR no listener)");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void anEndlessAnswerIsCutOff() {
        EmbeddedChannel ch = channel();
        written(ch);
        ch.writeInbound(bytes("x".repeat(100)));
        assertThat(done.cause()).hasMessageContaining("longer than 64 bytes");
        ch.finishAndReleaseAll();
    }

    @Test
    void aResetBeforeTheAnswerFailsTheAttempt() {
        EmbeddedChannel ch = channel();
        written(ch);
        ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertThat(done.cause()).hasMessageContaining("CONNECT 1024 failed: Connection reset by peer");
        ch.finishAndReleaseAll();
    }
}
