package io.jvmm.guest.sys;

import io.jvmm.sys.Libc;
import io.jvmm.sys.Syscall;
import io.jvmm.sys.UnixAddress;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The unix socket crun sends a container's pty master to ({@code --console-socket}): one connection,
 * one SCM_RIGHTS message. Java's NIO cannot receive file descriptors, so this is socket, bind, listen,
 * accept and recvmsg through FFM.
 */
public final class ConsoleSocket implements AutoCloseable {
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    private final int fd;

    private ConsoleSocket(int fd) {
        this.fd = fd;
    }

    public static ConsoleSocket listen(Path path) throws IOException {
        int fd = Libc.socket(UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.bind(fd, UnixAddress.toNative(path, arena));
            Libc.listen(fd, 1);
            return new ConsoleSocket(fd);
        } catch (IOException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Accepts crun's connection and returns the pty master it sends. Blocks until crun connects. */
    public int receiveTerminal() throws IOException {
        int conn = Libc.accept(fd, SOCK_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(4096);
            MemorySegment iov = arena.allocate(16, 8); // struct iovec
            iov.set(ValueLayout.ADDRESS, 0, data);
            iov.set(ValueLayout.JAVA_LONG, 8, data.byteSize());
            MemorySegment control = arena.allocate(64, 8); // room for CMSG_SPACE(sizeof(int))
            MemorySegment msg = arena.allocate(56, 8); // struct msghdr
            msg.set(ValueLayout.ADDRESS, 16, iov);
            msg.set(ValueLayout.JAVA_LONG, 24, 1L);
            msg.set(ValueLayout.ADDRESS, 32, control);
            msg.set(ValueLayout.JAVA_LONG, 40, control.byteSize());
            Libc.call(Syscall.RECVMSG, conn, msg.address(), MSG_CMSG_CLOEXEC).orThrow("recvmsg(console socket)");
            long controlLength = msg.get(ValueLayout.JAVA_LONG, 40);
            // struct cmsghdr: len (size_t), level (int), type (int), then the fd
            if (controlLength < 20
                    || control.get(ValueLayout.JAVA_INT, 8) != SOL_SOCKET
                    || control.get(ValueLayout.JAVA_INT, 12) != SCM_RIGHTS) {
                throw new IOException("crun sent no terminal on the console socket");
            }
            return control.get(ValueLayout.JAVA_INT, 16);
        } finally {
            Libc.close(conn);
        }
    }

    /** Closes the socket; a thread blocked in accept is woken (shutdown first: close alone does not wake it). */
    @Override
    public void close() {
        try {
            Libc.shutdown(fd, 2);
        } catch (IOException e) {
            // not connected: nothing to wake
        }
        Libc.close(fd);
    }
}
