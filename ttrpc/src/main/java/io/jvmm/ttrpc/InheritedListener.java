package io.jvmm.ttrpc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.jvmm.ttrpc.vsock.Errno;
import io.jvmm.ttrpc.vsock.Libc;
import io.jvmm.ttrpc.vsock.UnixAddress;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
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

    /**
     * Called with invokeExact, not through {@link Libc#invoke}: {@code start} makes these calls in a JVM
     * that lives a fraction of a second, where the generic path's argument spreading costs more than
     * the calls.
     */
    private static final class Calls {
        static final MethodHandle SOCKET = Libc.handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle BIND = Libc.handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle LISTEN = Libc.handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle DUP2 = Libc.handle("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle CLOSE = Libc.handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private InheritedListener() {
    }

    /**
     * Binds and listens on {@code path} (mode 0600, as containerd's shims make theirs); returns the
     * descriptor, close-on-exec: pass it on with {@link #moveTo}. The path must not exist.
     */
    public static int open(Path path, int backlog) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = UnixAddress.toNative(path, arena);
            MemorySegment state = Libc.callState(arena);
            int fd = check((int) Calls.SOCKET.invokeExact(state, UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), state, "socket");
            try {
                check((int) Calls.BIND.invokeExact(state, fd, address, (int) address.byteSize()), state, "bind");
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
                check((int) Calls.LISTEN.invokeExact(state, fd, backlog), state, "listen");
                return fd;
            } catch (IOException | RuntimeException e) {
                close(fd);
                throw e;
            }
        } catch (IOException e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /**
     * Moves the listener to descriptor {@code target} (one a child process inherits, such as its
     * standard input) and closes the original.
     */
    public static void moveTo(int fd, int target) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            check((int) Calls.DUP2.invokeExact(state, fd, target), state, "dup2");
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        close(fd);
    }

    /** Closes a listener this process holds (so its address stops answering). */
    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) Calls.CLOSE.invokeExact(Libc.callState(arena), fd);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    private static int check(int result, MemorySegment state, String call) throws IOException {
        if (result < 0) {
            int errno = Libc.errno(state);
            throw new IOException(call + " failed: " + Errno.describe(errno) + " (errno " + errno + ")");
        }
        return result;
    }
}
