package io.jvmm.task.sandbox;

import io.jvmm.sys.Libc;
import io.jvmm.sys.Syscall;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A path below a directory, opened by the kernel without following a symlink and without leaving the
 * directory ({@code openat2} with {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS}), and then used by its
 * descriptor only ({@code /proc/<pid>/fd/<n>}). A path whose parts someone else can write (a container's
 * root, which the guest and its image control) may be swapped for a symlink between a check and a use;
 * a descriptor cannot (runc CVE-2021-30465).
 */
final class BeneathPath implements AutoCloseable {
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_BENEATH = 0x08;

    private final int fd;

    private BeneathPath(int fd) {
        this.fd = fd;
    }

    /** Opens {@code relative} below {@code root}; fails if any part of it is a symlink or it leaves {@code root}. */
    static BeneathPath open(Path root, String relative) throws IOException {
        int rootFd = openDirectory(root);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(relative.isEmpty() ? "." : relative);
            MemorySegment how = arena.allocate(24);
            how.set(ValueLayout.JAVA_LONG, 0, Libc.O_PATH | Libc.O_CLOEXEC);
            how.set(ValueLayout.JAVA_LONG, 8, 0);
            how.set(ValueLayout.JAVA_LONG, 16, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
            long fd = Libc.call(Syscall.OPENAT2, rootFd, name.address(), how.address(), how.byteSize())
                    .orThrow("openat2 of " + relative + " below " + root + " (no symlinks, not leaving it)");
            return new BeneathPath((int) fd);
        } finally {
            Libc.close(rootFd);
        }
    }

    private static int openDirectory(Path dir) throws IOException {
        return Libc.open(dir.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
    }

    /** The descriptor as a path another process of this user (mount(8)) can use: it names this very file. */
    Path procPath() {
        return Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd));
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
