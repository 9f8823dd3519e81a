package io.jvmm.ttrpc.bench;

import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.FrameDecoder;
import io.jvmm.ttrpc.wire.FrameEncoder;
import io.jvmm.ttrpc.wire.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Cost of the codec alone: one frame through the encoder and back through the decoder. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark {
    @Param({"64", "1024", "1048576"})
    public int size;

    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;
    private ByteBuf data;

    @Setup
    public void setUp() {
        encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
        decoder = new EmbeddedChannel(new FrameDecoder());
        data = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeZero(size);
    }

    @TearDown
    public void tearDown() {
        data.release();
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    @Benchmark
    public int roundTrip() {
        encoder.writeOutbound(new Frame(1, MessageType.DATA, (byte) 0, data.retainedDuplicate()));
        for (ByteBuf b = encoder.readOutbound(); b != null; b = encoder.readOutbound()) {
            decoder.writeInbound(b);
        }
        Frame frame = decoder.readInbound();
        int length = frame.dataLength();
        frame.release();
        return length;
    }
}
