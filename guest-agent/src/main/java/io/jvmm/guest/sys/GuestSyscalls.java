package io.jvmm.guest.sys;

import io.jvmm.sys.Libc;
import io.jvmm.sys.Syscall;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** The Linux calls the guest agent makes that Java has no API for (through {@link Libc}, errno checked). */
public final class GuestSyscalls {
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int P_PID = 1;
    private static final int WEXITED = 4;
    private static final int WNOHANG = 1;
    private static final int CLD_EXITED = 1;
    private static final int CLOCK_REALTIME = 0;
    private static final long RNDADDENTROPY = 0x40085203L;
    private static final long RNDRESEEDCRNG = 0x5207L;
    private static final int RB_POWER_OFF = 0x4321fedc;
    // reboot(2) itself takes two magic numbers before the command (glibc's reboot() adds them)
    private static final long LINUX_REBOOT_MAGIC1 = 0xfee1deadL;
    private static final long LINUX_REBOOT_MAGIC2 = 672274793L;
    private static final int S_IFIFO = 0010000;

    public static final int O_RDONLY = (int) Libc.O_RDONLY;
    public static final int O_WRONLY = (int) Libc.O_WRONLY;
    public static final int O_RDWR = (int) Libc.O_RDWR;
    public static final int O_NONBLOCK = (int) Libc.O_NONBLOCK;
    public static final int O_CLOEXEC = (int) Libc.O_CLOEXEC;
    private static final int F_SETFL = 4;

    private GuestSyscalls() {}

    /** Orphaned descendants (a container's init once crun exits) become our children, so we can reap them. */
    public static void becomeSubreaper() throws IOException {
        Libc.call(Syscall.PRCTL, PR_SET_CHILD_SUBREAPER, 1).orThrow("prctl(PR_SET_CHILD_SUBREAPER)");
    }

    /** Blocks until child {@code pid} exits and reaps it; returns the exit code or 128 + signal. */
    public static int waitForExit(int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(128, 8);
            Libc.callRestarting(Syscall.WAITID, P_PID, pid, info.address(), WEXITED)
                    .orThrow("waitid(" + pid + ")");
            int code = info.get(ValueLayout.JAVA_INT, 8);
            int status = info.get(ValueLayout.JAVA_INT, 24);
            return code == CLD_EXITED ? status : 128 + status;
        }
    }

    /** Reaps child {@code pid} if it has exited, without waiting; false if it is still running. */
    public static boolean reapIfExited(int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(128, 8); // zeroed: si_pid stays 0 when nothing exited
            Libc.callRestarting(Syscall.WAITID, P_PID, pid, info.address(), WEXITED | WNOHANG)
                    .orThrow("waitid(" + pid + ", WNOHANG)");
            return info.get(ValueLayout.JAVA_INT, 16) == pid;
        }
    }

    public static void kill(int pid, int signal) throws IOException {
        Libc.call(Syscall.KILL, pid, signal).orThrow("kill(" + pid + ", " + signal + ")");
    }

    public static void setHostname(String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = arena.allocate(bytes.length + 1L);
            s.copyFrom(MemorySegment.ofArray(bytes));
            Libc.call(Syscall.SETHOSTNAME, s.address(), bytes.length).orThrow("sethostname");
        }
    }

    public static void setRealtimeClock(long unixNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(16, 8);
            ts.set(ValueLayout.JAVA_LONG, 0, unixNanos / 1_000_000_000L);
            ts.set(ValueLayout.JAVA_LONG, 8, unixNanos % 1_000_000_000L);
            Libc.call(Syscall.CLOCK_SETTIME, CLOCK_REALTIME, ts.address()).orThrow("clock_settime");
        }
    }

    /** Makes the kernel's CSPRNG take a new key from its input pool now (RNDRESEEDCRNG; root only). */
    public static void reseedCrng() throws IOException {
        int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC, 0);
        try {
            Libc.call(Syscall.IOCTL, fd, RNDRESEEDCRNG).orThrow("ioctl(RNDRESEEDCRNG)");
        } finally {
            Libc.close(fd);
        }
    }

    /** Adds host entropy to the kernel pool and credits it (struct rand_pool_info). */
    public static void addEntropy(byte[] entropy) throws IOException {
        int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pool = arena.allocate(8L + entropy.length, 4);
            pool.set(ValueLayout.JAVA_INT, 0, entropy.length * 8);
            pool.set(ValueLayout.JAVA_INT, 4, entropy.length);
            MemorySegment.copy(entropy, 0, pool, ValueLayout.JAVA_BYTE, 8, entropy.length);
            Libc.call(Syscall.IOCTL, fd, RNDADDENTROPY, pool.address()).orThrow("ioctl(RNDADDENTROPY)");
        } finally {
            Libc.close(fd);
        }
    }

    public static int open(String path, int flags, int mode) throws IOException {
        return Libc.open(path, flags, mode);
    }

    public static void mkfifo(String path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Libc.call(Syscall.MKNOD, arena.allocateFrom(path).address(), S_IFIFO | mode, 0)
                    .orThrow("mkfifo(" + path + ")");
        }
    }

    private static final long TIOCSWINSZ = 0x5414;

    /** Sets a terminal's window size (struct winsize: rows, cols, xpixel, ypixel). */
    public static void resizeTerminal(int fd, int width, int height) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(8, 2);
            size.set(ValueLayout.JAVA_SHORT, 0, (short) height);
            size.set(ValueLayout.JAVA_SHORT, 2, (short) width);
            Libc.call(Syscall.IOCTL, fd, TIOCSWINSZ, size.address()).orThrow("ioctl(TIOCSWINSZ)");
        }
    }

    /** Makes a descriptor opened with O_NONBLOCK blocking again. */
    public static void setBlocking(int fd) throws IOException {
        Libc.call(Syscall.FCNTL, fd, F_SETFL, 0).orThrow("fcntl(F_SETFL)");
    }

    public static void sync() {
        Libc.call(Syscall.SYNC, 0);
    }

    public static void powerOff() throws IOException {
        sync();
        Libc.call(Syscall.REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, RB_POWER_OFF)
                .orThrow("reboot(POWER_OFF)");
    }
}
