package io.jvmm.ttrpc.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.ttrpc.testing.LeakCheckExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;

/** Whatever frames are written and however the bytes are cut, the decoder gives back the same frames. */
class FrameCodecProperties {

    record Spec(int streamId, byte type, byte flags, byte[] data) {}

    @Provide
    Arbitrary<List<Spec>> frames() {
        return Combinators.combine(
                        Arbitraries.integers(),
                        Arbitraries.bytes(),
                        Arbitraries.bytes(),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(4096))
                .as(Spec::new)
                .list()
                .ofMaxSize(20);
    }

    @AfterProperty
    void noBufferLeaked() throws InterruptedException {
        LeakCheckExtension.assertNoLeaks(getClass().getSimpleName());
    }

    @Property(tries = 300)
    void encodeThenDecodeInArbitraryChunksIsIdentity(
            @ForAll("frames") List<Spec> specs, @ForAll @IntRange(min = 1, max = 700) int chunk) {
        EmbeddedChannel encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        for (Spec s : specs) {
            encoder.writeOutbound(new Frame(
                    s.streamId(),
                    s.type(),
                    s.flags(),
                    PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(s.data())));
        }
        ByteBuf wire = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (ByteBuf b = encoder.readOutbound(); b != null; b = encoder.readOutbound()) {
            wire.writeBytes(b);
            b.release();
        }
        encoder.finishAndReleaseAll();

        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
        while (wire.isReadable()) {
            decoder.writeInbound(wire.readRetainedSlice(Math.min(chunk, wire.readableBytes())));
        }
        wire.release();
        List<Spec> decoded = new ArrayList<>();
        for (Frame f = decoder.readInbound(); f != null; f = decoder.readInbound()) {
            decoded.add(new Spec(f.streamId(), f.typeCode(), f.flags(), ByteBufUtil.getBytes(f.content())));
            f.release();
        }
        assertThat(decoder.finishAndReleaseAll()).isFalse();
        assertThat(decoded).hasSameSizeAs(specs);
        for (int i = 0; i < specs.size(); i++) {
            Spec want = specs.get(i);
            Spec got = decoded.get(i);
            assertThat(got.streamId()).isEqualTo(want.streamId());
            assertThat(got.type()).isEqualTo(want.type());
            assertThat(got.flags()).isEqualTo(want.flags());
            assertThat(got.data()).isEqualTo(want.data());
        }
    }

    @Property(tries = 200)
    void arbitraryBytesNeverThrowAndNeverLeak(
            @ForAll @Size(max = 2048) byte[] garbage, @ForAll @IntRange(min = 1, max = 64) int chunk) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(garbage);
        while (in.isReadable()) {
            decoder.writeInbound(in.readRetainedSlice(Math.min(chunk, in.readableBytes())));
        }
        in.release();
        for (Object o = decoder.readInbound(); o != null; o = decoder.readInbound()) {
            assertThat(o).isInstanceOfAny(Frame.class, OversizedFrame.class);
            if (o instanceof Frame f) {
                assertThat(f.dataLength()).isLessThanOrEqualTo(WireLimits.MAX_DATA_LENGTH);
                f.release();
            }
        }
        decoder.finishAndReleaseAll();
    }
}
