package io.jvmm.mux;

import io.jvmm.sys.VsockStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** The local side of a multiplexed stream: a real socket whose bytes the mux carries to the peer. */
public interface MuxEndpoint extends Closeable {
    /** Reads up to {@code buffer.length} bytes; -1 at end of stream. */
    int read(byte[] buffer, int length) throws IOException;

    void write(byte[] buffer, int offset, int length) throws IOException;

    /** Tells the local reader that no more bytes will come. */
    void shutdownOutput() throws IOException;

    /**
     * Ends both directions now, waking a thread blocked in {@link #read}, without releasing the socket
     * (that is {@link #close}'s, once no thread uses it: a closed fd number can be reused at once).
     */
    void abort();

    @Override
    void close();

    /** A connected socket given as an fd (the guest's half of a socketpair). */
    static MuxEndpoint of(VsockStream stream) {
        InputStream in = stream.inputStream();
        OutputStream out = stream.outputStream();
        return new MuxEndpoint() {
            @Override
            public int read(byte[] buffer, int length) throws IOException {
                return in.read(buffer, 0, length);
            }

            @Override
            public void write(byte[] buffer, int offset, int length) throws IOException {
                out.write(buffer, offset, length);
            }

            @Override
            public void shutdownOutput() throws IOException {
                stream.shutdownOutput();
            }

            @Override
            public void abort() {
                stream.shutdownBoth();
            }

            @Override
            public void close() {
                stream.close();
            }
        };
    }

    /** A connected (blocking) socket channel: a host client of the hybrid vsock socket. */
    static MuxEndpoint of(SocketChannel channel) {
        return new MuxEndpoint() {
            @Override
            public int read(byte[] buffer, int length) throws IOException {
                return channel.read(ByteBuffer.wrap(buffer, 0, length));
            }

            @Override
            public void write(byte[] buffer, int offset, int length) throws IOException {
                ByteBuffer b = ByteBuffer.wrap(buffer, offset, length);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }

            @Override
            public void shutdownOutput() throws IOException {
                channel.shutdownOutput();
            }

            @Override
            public void abort() {
                close(); // a channel closed under a blocked reader wakes it safely
            }

            @Override
            public void close() {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closing: nothing left to do
                }
            }
        };
    }
}
