package io.jvmm.sys;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/** A connected blocking stream socket given as an fd, read and written through libc. */
public final class VsockStream implements Closeable {
    private static final int SHUT_WR = 1;
    private static final int BUFFER = 64 * 1024;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    public VsockStream(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    public InputStream inputStream() {
        return new InputStream() {
            // Freed when the stream is unreachable (a shared arena would hold its buffer until closed, never).
            private final Arena arena = Arena.ofAuto();
            private final MemorySegment buffer = arena.allocate(BUFFER);

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public synchronized int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                int n = Libc.read(fd, buffer, Math.min(len, BUFFER));
                if (n == 0) {
                    return -1;
                }
                MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, b, off, n);
                return n;
            }
        };
    }

    public OutputStream outputStream() {
        return new OutputStream() {
            // Freed when the stream is unreachable (a shared arena would hold its buffer until closed, never).
            private final Arena arena = Arena.ofAuto();
            private final MemorySegment buffer = arena.allocate(BUFFER);

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int chunk = Math.min(len, BUFFER);
                    MemorySegment.copy(b, off, buffer, ValueLayout.JAVA_BYTE, 0, chunk);
                    long done = 0;
                    while (done < chunk) {
                        done += Libc.write(fd, buffer.asSlice(done), chunk - done);
                    }
                    off += chunk;
                    len -= chunk;
                }
            }

            @Override
            public void close() throws IOException {
                shutdownOutput();
            }
        };
    }

    /** Signals end of stream to the peer while still reading. */
    public void shutdownOutput() throws IOException {
        if (!closed.get()) {
            Libc.shutdown(fd, SHUT_WR);
        }
    }

    /** Ends both directions (the peer reads end of stream, a local reader wakes); the fd stays open. */
    public void shutdownBoth() {
        if (!closed.get()) {
            try {
                Libc.shutdown(fd, 2);
            } catch (IOException e) {
                // already disconnected
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
        }
    }
}
