package io.jvmm.agent.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;

/** One stdio stream of a guest process: raw bytes, end of stream = the other side closed. */
public final class StdioStream implements AutoCloseable {
    /** Which stream, as named in the stdio header. */
    public enum Kind {
        STDIN,
        STDOUT,
        STDERR
    }

    private final SocketChannel channel;

    StdioStream(SocketChannel channel) {
        this.channel = channel;
    }

    /** A stream over a connection already past its header (the agent's, or a test's socket pair). */
    public static StdioStream over(SocketChannel connected) {
        return new StdioStream(connected);
    }

    /** Bytes the process writes (stdout, stderr). */
    public InputStream input() {
        return Channels.newInputStream(channel);
    }

    /** Bytes for the process to read (stdin); {@link #closeOutput()} is its end of file. */
    public OutputStream output() {
        return Channels.newOutputStream(channel);
    }

    public void closeOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
