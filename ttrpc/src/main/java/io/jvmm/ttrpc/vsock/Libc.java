package io.jvmm.ttrpc.vsock;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls jvmm needs that Java has no API for, through the FFM API. Every call captures
 * errno and turns a failure into an IOException naming the call and the error.
 */
public final class Libc {
    // Each function's handle is made on first use (holder classes): linking a downcall is costly
    // when the JVM is interpreted under emulation, and start-up needs only a few of them.
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final class Socket {
        static final MethodHandle H = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Bind {
        static final MethodHandle H = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Listen {
        static final MethodHandle H = handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Accept4 {
        static final MethodHandle H = handle("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }

    private static final class Connect {
        static final MethodHandle H = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Close {
        static final MethodHandle H = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Read {
        static final MethodHandle H = handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Write {
        static final MethodHandle H = handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class SocketPair {
        static final MethodHandle H = handle("socketpair", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class Dup2 {
        static final MethodHandle H = handle("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Shutdown {
        static final MethodHandle H = handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }


    private static final int EINTR = 4;

    private Libc() {
    }

    /** A downcall handle for a libc function that captures errno; use with {@link #invoke}. */
    public static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, CAPTURE_ERRNO);
    }

    /** The result of a call and the errno it left. */
    public record Result(long value, int errno) {
        public long orThrow(String call) throws IOException {
            if (value < 0) {
                throw new IOException(call + " failed: " + Errno.describe(errno) + " (errno " + errno + ")");
            }
            return value;
        }
    }

    /** Calls a handle made by {@link #handle}; the arguments follow the function's own. */
    public static Result invoke(MethodHandle handle, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            Object[] all = new Object[args.length + 1];
            all[0] = state;
            System.arraycopy(args, 0, all, 1, args.length);
            Object raw = handle.invokeWithArguments(all);
            long value = raw == null ? 0 : raw instanceof Integer i ? i : (Long) raw;
            return new Result(value, (int) ERRNO.get(state, 0L));
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /** Like {@link #invoke}, but a call interrupted by a signal (EINTR) is made again. */
    public static Result invokeRestarting(MethodHandle handle, Object... args) {
        while (true) {
            Result r = invoke(handle, args);
            if (r.value() >= 0 || r.errno() != EINTR) {
                return r;
            }
        }
    }

    public static int socket(int domain, int type, int protocol) throws IOException {
        return (int) invoke(Socket.H, domain, type, protocol).orThrow("socket");
    }

    public static void bind(int fd, MemorySegment address) throws IOException {
        invoke(Bind.H, fd, address, (int) address.byteSize()).orThrow("bind");
    }

    public static void listen(int fd, int backlog) throws IOException {
        invoke(Listen.H, fd, backlog).orThrow("listen");
    }

    public static int accept(int fd, int flags) throws IOException {
        return (int) invokeRestarting(Accept4.H, fd, MemorySegment.NULL, MemorySegment.NULL, flags).orThrow("accept4");
    }

    public static void connect(int fd, MemorySegment address) throws IOException {
        invokeRestarting(Connect.H, fd, address, (int) address.byteSize()).orThrow("connect");
    }

    /** A connected pair of AF_UNIX stream sockets, close-on-exec: {@code [a, b]}. */
    public static int[] socketPair() throws IOException {
        final int afUnix = 1;
        final int sockStreamCloexec = 1 | 0x80000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            invoke(SocketPair.H, afUnix, sockStreamCloexec, 0, fds).orThrow("socketpair");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    public static void close(int fd) {
        invoke(Close.H, fd);
    }

    /** Makes {@code target} a copy of {@code fd} (closing what {@code target} was); the copy is inherited across exec. */
    public static void dup2(int fd, int target) throws IOException {
        invokeRestarting(Dup2.H, fd, target).orThrow("dup2");
    }

    public static void shutdown(int fd, int how) throws IOException {
        invoke(Shutdown.H, fd, how).orThrow("shutdown");
    }

    /** Reads up to {@code length} bytes into {@code buffer}; 0 at end of stream. */
    public static int read(int fd, MemorySegment buffer, long length) throws IOException {
        return (int) invokeRestarting(Read.H, fd, buffer, length).orThrow("read");
    }

    public static int write(int fd, MemorySegment buffer, long length) throws IOException {
        return (int) invokeRestarting(Write.H, fd, buffer, length).orThrow("write");
    }
}
