package io.jvmm.ttrpc.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.proto.Response;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FrameEncoderTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private byte[] written() {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b = channel.readOutbound(); b != null; b = channel.readOutbound()) {
            all.writeBytes(b);
            b.release();
        }
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    /** The worked example of PROTOCOL.md, section 1: Task v3 Connect for container c1 in "default". */
    @Test
    void matchesTheWorkedExampleByteForByte() {
        byte[] connectRequest = {0x0a, 0x02, 'c', '1'};
        Request request = Request.newBuilder()
                .setService("containerd.task.v3.Task")
                .setMethod("Connect")
                .setPayload(ByteString.copyFrom(connectRequest))
                .addAllMetadata(
                        Metadata.of(Metadata.CONTAINERD_NAMESPACE, "default").toWire())
                .build();
        channel.writeOutbound(
                new Frame(1, MessageType.REQUEST, (byte) 0, Unpooled.wrappedBuffer(request.toByteArray())));
        byte[] bytes = written();
        assertThat(HexFormat.of().formatHex(bytes, 0, 10)).isEqualTo("0000004f000000010100");
        assertThat(bytes).hasSize(10 + 0x4f);
    }

    @Test
    void okResponseOfTheWorkedExample() {
        byte[] connectResponse = {0x08, (byte) 0xd2, 0x09, 0x10, (byte) 0xd8, 0x09};
        Response response = Response.newBuilder()
                .setStatus(Statuses.toProto(Status.OK))
                .setPayload(ByteString.copyFrom(connectResponse))
                .build();
        channel.writeOutbound(
                new Frame(1, MessageType.RESPONSE, (byte) 0, Unpooled.wrappedBuffer(response.toByteArray())));
        assertThat(HexFormat.of().formatHex(written())).isEqualTo("0000000a000000010200" + "0a00120608d20910d809");
    }

    @Test
    void writesHeaderFieldsBigEndian() {
        channel.writeOutbound(
                new Frame(0x01020304, MessageType.DATA, (byte) 0x05, Unpooled.wrappedBuffer(new byte[] {9})));
        assertThat(HexFormat.of().formatHex(written())).isEqualTo("00000001" + "01020304" + "03" + "05" + "09");
    }

    @Test
    void refusesFramesOverTheLimit() {
        Frame frame = new Frame(
                1, MessageType.DATA, (byte) 0, Unpooled.wrappedBuffer(new byte[WireLimits.MAX_DATA_LENGTH + 1]));
        assertThatThrownBy(() -> channel.writeOutbound(frame))
                .isInstanceOf(EncoderException.class)
                .hasMessageContaining("exceed maximum message size of 4194304");
        assertThat(frame.refCnt()).isZero();
    }
}
