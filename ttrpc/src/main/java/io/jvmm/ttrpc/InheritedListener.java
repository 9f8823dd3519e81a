package io.jvmm.ttrpc;

import io.jvmm.sys.Libc;
import io.jvmm.sys.UnixAddress;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A listening unix socket made by one process for another to serve, the way containerd's shims start:
 * the {@code start} command binds the socket and hands the descriptor to the server it spawns, so the
 * address answers (connections wait in the backlog) as soon as {@code start} returns, however long the
 * server takes to come up; the server then serves it with {@link TtrpcServer.Builder#adopt}.
 */
public final class InheritedListener {
    private static final int SOCK_STREAM = 1;
    // Netty's epoll loop accepts until EAGAIN, so the listener must not block. The flag lives in the
    // open file description, which the descriptor's copies and the exec'ed server share.
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;

    private InheritedListener() {}

    /**
     * Binds and listens on {@code path} (mode 0600, as containerd's shims make theirs); returns the
     * descriptor, close-on-exec: pass it on with {@link #moveTo}. The path must not exist.
     */
    public static int open(Path path, int backlog) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            var address = UnixAddress.toNative(path, arena);
            int fd = Libc.socket(UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            try {
                Libc.bind(fd, address);
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
                Libc.listen(fd, backlog);
                return fd;
            } catch (IOException | RuntimeException e) {
                Libc.close(fd);
                throw e;
            }
        } catch (IOException e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Moves the listener to descriptor {@code target} (one a child process inherits, such as its
     * standard input) and closes the original.
     */
    public static void moveTo(int fd, int target) throws IOException {
        Libc.dup2(fd, target);
        Libc.close(fd);
    }

    /** Closes a listener this process holds (so its address stops answering). */
    public static void close(int fd) {
        Libc.close(fd);
    }
}
