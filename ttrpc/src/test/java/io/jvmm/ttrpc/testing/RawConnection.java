package io.jvmm.ttrpc.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A plain blocking unix socket that speaks ttrpc frames byte by byte, for tests that send what no
 * well-behaved client would. No Netty involved, so it cannot share the code it tests.
 */
public final class RawConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final DataInputStream in;

    private RawConnection(SocketChannel channel) {
        this.channel = channel;
        this.in = new DataInputStream(Channels.newInputStream(channel));
    }

    public static RawConnection open(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawConnection(ch);
    }

    public void writeFrame(long length, int streamId, int type, int flags, byte[] data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(10);
        header.putInt((int) length)
                .putInt(streamId)
                .put((byte) type)
                .put((byte) flags)
                .flip();
        writeAll(header);
        writeAll(ByteBuffer.wrap(data));
    }

    public void writeFrame(int streamId, int type, int flags, byte[] data) throws IOException {
        writeFrame(data.length, streamId, type, flags, data);
    }

    public void writeRaw(byte[] bytes) throws IOException {
        writeAll(ByteBuffer.wrap(bytes));
    }

    private void writeAll(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    public RawFrame readFrame() throws IOException {
        int length = in.readInt();
        int streamId = in.readInt();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        byte[] data = new byte[length];
        in.readFully(data);
        return new RawFrame(streamId, type, flags, data);
    }

    /** Half-closes the sending side, as a peer that stops mid-frame would. */
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    public record RawFrame(int streamId, int type, int flags, byte[] data) {}
}
