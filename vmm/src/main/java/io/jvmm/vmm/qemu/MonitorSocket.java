package io.jvmm.vmm.qemu;

import io.jvmm.sys.Libc;
import io.jvmm.sys.Syscall;
import io.jvmm.sys.UnixAddress;
import io.jvmm.sys.VsockStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A connection to QEMU's monitor socket that can also pass a descriptor with a message (SCM_RIGHTS),
 * which Java's own unix sockets cannot: QMP's {@code getfd} takes files the shim opened, so QEMU never
 * opens a path or spawns a program for them ({@code migrate fd:} instead of {@code exec:}, which its
 * sandbox's {@code spawn=deny} refuses).
 */
final class MonitorSocket implements AutoCloseable {
    private static final int SOCK_STREAM_CLOEXEC = 1 | 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;

    private final VsockStream stream;

    private MonitorSocket(int fd) {
        this.stream = new VsockStream(fd);
    }

    /** Connects to {@code path}; a refused connection is an IOException (the caller retries). */
    static MonitorSocket connect(Path path) throws IOException {
        int fd = Libc.socket(UnixAddress.AF_UNIX, SOCK_STREAM_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.connect(fd, UnixAddress.toNative(path, arena));
            return new MonitorSocket(fd);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    InputStream input() {
        return stream.inputStream();
    }

    /** Writes all of {@code bytes}. */
    void write(byte[] bytes) throws IOException {
        send(bytes, -1);
    }

    /** Writes all of {@code bytes}, the first of them together with a copy of descriptor {@code fd}. */
    void writeWithFd(byte[] bytes, int fd) throws IOException {
        send(bytes, fd);
    }

    private synchronized void send(byte[] bytes, int fd) throws IOException {
        int off = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment iov = arena.allocate(16, 8);
            MemorySegment msg = arena.allocate(56, 8);
            MemorySegment control = arena.allocate(24, 8);
            while (off < bytes.length) {
                iov.set(ValueLayout.JAVA_LONG, 0, data.address() + off);
                iov.set(ValueLayout.JAVA_LONG, 8, bytes.length - off);
                msg.fill((byte) 0);
                msg.set(ValueLayout.JAVA_LONG, 16, iov.address());
                msg.set(ValueLayout.JAVA_LONG, 24, 1);
                if (fd >= 0 && off == 0) {
                    control.set(ValueLayout.JAVA_LONG, 0, 20); // CMSG_LEN(sizeof(int))
                    control.set(ValueLayout.JAVA_INT, 8, SOL_SOCKET);
                    control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
                    control.set(ValueLayout.JAVA_INT, 16, fd);
                    msg.set(ValueLayout.JAVA_LONG, 32, control.address());
                    msg.set(ValueLayout.JAVA_LONG, 40, 24); // CMSG_SPACE(sizeof(int))
                }
                off += (int) Libc.callRestarting(Syscall.SENDMSG, stream.fd(), msg.address(), MSG_NOSIGNAL, 0)
                        .orThrow("sendmsg");
            }
        }
    }

    /** Ends the connection both ways: a reader blocked on it wakes to end of stream. The descriptor stays. */
    void shutdown() {
        stream.shutdownBoth();
    }

    /** Releases the descriptor: by the reader once it is done, so its number is never read after reuse. */
    @Override
    public void close() {
        stream.close();
    }
}
