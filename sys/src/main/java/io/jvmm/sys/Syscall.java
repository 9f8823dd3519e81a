package io.jvmm.sys;

/**
 * The Linux system calls jvmm makes itself, by their x86-64 numbers (asm/unistd_64.h). They all go
 * through libc's {@code syscall(2)} with one signature (see {@link Libc}), so the JVM links one native
 * call instead of one per function.
 */
public enum Syscall {
    READ(0),
    WRITE(1),
    OPEN(2),
    CLOSE(3),
    IOCTL(16),
    DUP2(33),
    SOCKET(41),
    CONNECT(42),
    SENDMSG(46),
    RECVMSG(47),
    SHUTDOWN(48),
    BIND(49),
    LISTEN(50),
    SOCKETPAIR(53),
    KILL(62),
    UMASK(95),
    FCNTL(72),
    MKNOD(133),
    PRCTL(157),
    SYNC(162),
    REBOOT(169),
    MOUNT(165),
    UMOUNT2(166),
    SETHOSTNAME(170),
    CLOCK_SETTIME(227),
    WAITID(247),
    ACCEPT4(288),
    OPENAT2(437);

    private final long number;

    Syscall(long number) {
        this.number = number;
    }

    public long number() {
        return number;
    }
}
