package io.jvmm.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few system calls jvmm needs that Java has no API for, through the FFM API. Every call goes
 * through libc's {@code syscall(2)} with one fixed signature (a number and six {@code long} arguments,
 * pointers passed as addresses) and is invoked exactly: linking a native call and adapting its type is
 * what costs at start-up (the class-file generation behind it is interpreted, and under TCG emulated),
 * and this way the JVM does it once, not once per function and signature. errno is captured, and a
 * failure becomes an IOException naming the call and the error.
 */
public final class Libc {
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    /** Linked on first use (start-up paths that make no system call do not pay for it). */
    private static final class Syscall6 {
        static final MethodHandle H = link();

        private static MethodHandle link() {
            String arch = System.getProperty("os.arch");
            if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
                throw new UnsupportedOperationException("jvmm's system calls are numbered for x86-64, not " + arch);
            }
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(
                    linker.defaultLookup().find("syscall").orElseThrow(),
                    FunctionDescriptor.of(
                            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                    Linker.Option.captureCallState("errno"),
                    Linker.Option.firstVariadicArg(1));
        }
    }

    private static final int EINTR = 4;

    /** open(2) flags (x86-64). */
    public static final long O_RDONLY = 0;

    public static final long O_WRONLY = 1;
    public static final long O_RDWR = 2;
    public static final long O_CREAT = 0x40;
    public static final long O_TRUNC = 0x200;
    public static final long O_NONBLOCK = 0x800;
    public static final long O_DIRECTORY = 0x10000;
    public static final long O_NOFOLLOW = 0x20000;
    public static final long O_CLOEXEC = 0x80000;
    public static final long O_PATH = 0x200000;

    private Libc() {}

    /** The result of a call and the errno it left. */
    public record Result(long value, int errno) {
        public long orThrow(String call) throws IOException {
            if (value < 0) {
                throw new IOException(call + " failed: " + Errno.describe(errno) + " (errno " + errno + ")");
            }
            return value;
        }
    }

    /** Makes system call {@code call}; unused arguments are 0, pointers are {@link MemorySegment#address()}. */
    public static Result call(Syscall call, long a1, long a2, long a3, long a4, long a5, long a6) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long value = (long) Syscall6.H.invokeExact(state, call.number(), a1, a2, a3, a4, a5, a6);
            return new Result(value, (int) ERRNO.get(state, 0L));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    public static Result call(Syscall call, long a1, long a2, long a3, long a4) {
        return call(call, a1, a2, a3, a4, 0, 0);
    }

    public static Result call(Syscall call, long a1, long a2, long a3) {
        return call(call, a1, a2, a3, 0, 0, 0);
    }

    public static Result call(Syscall call, long a1, long a2) {
        return call(call, a1, a2, 0, 0, 0, 0);
    }

    public static Result call(Syscall call, long a1) {
        return call(call, a1, 0, 0, 0, 0, 0);
    }

    /** Like {@link #call}, but a call interrupted by a signal (EINTR) is made again. */
    public static Result callRestarting(Syscall call, long a1, long a2, long a3, long a4) {
        while (true) {
            Result r = call(call, a1, a2, a3, a4, 0, 0);
            if (r.value() >= 0 || r.errno() != EINTR) {
                return r;
            }
        }
    }

    /** open(2): a descriptor the caller owns and closes. */
    public static int open(String path, long flags, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return (int) call(Syscall.OPEN, arena.allocateFrom(path).address(), flags, mode)
                    .orThrow("open " + path);
        }
    }

    public static int socket(int domain, int type, int protocol) throws IOException {
        return (int) call(Syscall.SOCKET, domain, type, protocol).orThrow("socket");
    }

    public static void bind(int fd, MemorySegment address) throws IOException {
        call(Syscall.BIND, fd, address.address(), address.byteSize()).orThrow("bind");
    }

    public static void listen(int fd, int backlog) throws IOException {
        call(Syscall.LISTEN, fd, backlog).orThrow("listen");
    }

    public static int accept(int fd, int flags) throws IOException {
        return (int) callRestarting(Syscall.ACCEPT4, fd, 0, 0, flags).orThrow("accept4");
    }

    public static void connect(int fd, MemorySegment address) throws IOException {
        callRestarting(Syscall.CONNECT, fd, address.address(), address.byteSize(), 0)
                .orThrow("connect");
    }

    /** A connected pair of AF_UNIX stream sockets, close-on-exec: {@code [a, b]}. */
    public static int[] socketPair() throws IOException {
        final int afUnix = 1;
        final int sockStreamCloexec = 1 | 0x80000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            call(Syscall.SOCKETPAIR, afUnix, sockStreamCloexec, 0, fds.address())
                    .orThrow("socketpair");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    public static void close(int fd) {
        call(Syscall.CLOSE, fd);
    }

    /** Makes {@code target} a copy of {@code fd} (closing what {@code target} was); the copy is inherited across exec. */
    public static void dup2(int fd, int target) throws IOException {
        callRestarting(Syscall.DUP2, fd, target, 0, 0).orThrow("dup2");
    }

    public static void shutdown(int fd, int how) throws IOException {
        call(Syscall.SHUTDOWN, fd, how).orThrow("shutdown");
    }

    /** Reads up to {@code length} bytes into {@code buffer}; 0 at end of stream. */
    public static int read(int fd, MemorySegment buffer, long length) throws IOException {
        return (int)
                callRestarting(Syscall.READ, fd, buffer.address(), length, 0).orThrow("read");
    }

    public static int write(int fd, MemorySegment buffer, long length) throws IOException {
        return (int)
                callRestarting(Syscall.WRITE, fd, buffer.address(), length, 0).orThrow("write");
    }
}
