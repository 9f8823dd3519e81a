package io.jvmm.ttrpc.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static ByteBuf frame(long length, int streamId, int type, int flags, byte[] data) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer();
        buf.writeInt((int) length)
                .writeInt(streamId)
                .writeByte(type)
                .writeByte(flags)
                .writeBytes(data);
        return buf;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesOneFrame() {
        channel.writeInbound(frame(5, 1, 1, 0, bytes("hello")));
        Frame frame = channel.readInbound();
        try {
            assertThat(frame.streamId()).isEqualTo(1);
            assertThat(frame.type()).isEqualTo(MessageType.REQUEST);
            assertThat(frame.flags()).isZero();
            assertThat(frame.content().toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        } finally {
            frame.release();
        }
        assertThat((Object) channel.readInbound()).isNull();
    }

    @Test
    void reassemblesAFrameDeliveredOneByteAtATime() {
        ByteBuf whole = frame(3, 7, 3, Flags.REMOTE_CLOSED, bytes("abc"));
        while (whole.isReadable()) {
            channel.writeInbound(whole.readRetainedSlice(1));
        }
        whole.release();
        Frame frame = channel.readInbound();
        assertThat(frame.streamId()).isEqualTo(7);
        assertThat(frame.type()).isEqualTo(MessageType.DATA);
        assertThat(frame.hasFlag(Flags.REMOTE_CLOSED)).isTrue();
        assertThat(frame.content().toString(StandardCharsets.UTF_8)).isEqualTo("abc");
        frame.release();
    }

    @Test
    void splitsTwoFramesSharingABuffer() {
        ByteBuf both = Unpooled.wrappedBuffer(frame(1, 1, 1, 0, bytes("a")), frame(2, 3, 1, 0, bytes("bc")));
        channel.writeInbound(both);
        Frame first = channel.readInbound();
        Frame second = channel.readInbound();
        assertThat(first.streamId()).isEqualTo(1);
        assertThat(second.streamId()).isEqualTo(3);
        assertThat(second.content().toString(StandardCharsets.UTF_8)).isEqualTo("bc");
        first.release();
        second.release();
    }

    @Test
    void zeroLengthFrameIsARealFrame() {
        channel.writeInbound(frame(0, 5, 3, 0, new byte[0]));
        Frame frame = channel.readInbound();
        assertThat(frame.dataLength()).isZero();
        assertThat(frame.streamId()).isEqualTo(5);
        frame.release();
    }

    @Test
    void oversizedFrameIsSkippedWithoutBufferingAndTheNextFrameStillDecodes() {
        int over = WireLimits.MAX_DATA_LENGTH + 1;
        channel.writeInbound(frame(over, 9, 1, 0, new byte[0]));
        OversizedFrame oversized = channel.readInbound();
        assertThat(oversized.streamId()).isEqualTo(9);
        assertThat(oversized.declaredLength()).isEqualTo(over);
        assertThat(oversized.message()).isEqualTo("message length 4194305 exceed maximum message size of 4194304");
        // The skipped data arrives in pieces; nothing is emitted for it.
        for (int sent = 0; sent < over; sent += 1 << 20) {
            int n = Math.min(1 << 20, over - sent);
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[n]));
            assertThat((Object) channel.readInbound()).isNull();
        }
        channel.writeInbound(frame(2, 11, 1, 0, bytes("ok")));
        Frame next = channel.readInbound();
        assertThat(next.streamId()).isEqualTo(11);
        assertThat(next.content().toString(StandardCharsets.UTF_8)).isEqualTo("ok");
        next.release();
    }

    @Test
    void lengthWithTheTopBitSetIsOversizedNotNegative() {
        channel.writeInbound(frame(0xFFFF_FFF0L, 1, 1, 0, new byte[0]));
        OversizedFrame oversized = channel.readInbound();
        assertThat(oversized.declaredLength()).isEqualTo(0xFFFF_FFF0L);
    }

    @Test
    void exactlyTheLimitIsAccepted() {
        channel.writeInbound(frame(WireLimits.MAX_DATA_LENGTH, 1, 3, 0, new byte[WireLimits.MAX_DATA_LENGTH]));
        Frame frame = channel.readInbound();
        assertThat(frame.dataLength()).isEqualTo(WireLimits.MAX_DATA_LENGTH);
        frame.release();
    }

    @Test
    void unknownTypeIsDecodedAsUnknownForTheReceiverToIgnore() {
        channel.writeInbound(frame(1, 1, 0x7f, 0, bytes("x")));
        Frame frame = channel.readInbound();
        assertThat(frame.type()).isEqualTo(MessageType.UNKNOWN);
        assertThat(frame.typeCode()).isEqualTo((byte) 0x7f);
        frame.release();
    }

    @Test
    void truncatedFrameAtCloseEmitsNothingAndLeaksNothing() {
        ByteBuf partial = frame(100, 1, 1, 0, new byte[40]);
        channel.writeInbound(partial);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void truncatedHeaderAtCloseEmitsNothing() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0}));
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }
}
