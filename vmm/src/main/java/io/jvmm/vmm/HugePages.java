package io.jvmm.vmm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The host's huge pages, as template memory uses them: a hugetlbfs mount of the default huge page size
 * and its pool's free pages. A template's memory file lives there when the configuration asks for huge
 * pages and the pool can hold it; a clone maps it privately, for which the kernel reserves the clone's
 * whole size from the pool up front (any page may be copied on write), so a clone is given the huge
 * pages only while the pool can hold that reservation, and otherwise a copy in ordinary memory.
 */
public record HugePages(Path mount, long pageBytes) {
    private static final Path MOUNTS = Path.of("/proc/mounts");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    /** The first hugetlbfs mount of the default huge page size, if the host has one. */
    public static Optional<HugePages> mounted() {
        try {
            long page = meminfo("Hugepagesize:") * 1024;
            if (page <= 0) {
                return Optional.empty();
            }
            for (String line : Files.readAllLines(MOUNTS)) {
                String[] f = line.split(" ");
                if (f.length >= 4
                        && f[2].equals("hugetlbfs")
                        && pageSizeOf(f[3], page) == page
                        && Files.isWritable(Path.of(f[1]))) {
                    return Optional.of(new HugePages(Path.of(f[1]), page));
                }
            }
        } catch (IOException e) {
            // no /proc: no huge pages
        }
        return Optional.empty();
    }

    /** A mount whose pool has {@code bytes} free now (free and not promised to a mapping), if there is one. */
    public static Optional<HugePages> withFree(long bytes) {
        return mounted().filter(h -> h.freeBytes() >= bytes);
    }

    /** Bytes of the pool neither in use nor reserved. */
    public long freeBytes() {
        try {
            return (meminfo("HugePages_Free:") - meminfo("HugePages_Rsvd:")) * pageBytes;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Whether {@code file} (links followed) is on a hugetlbfs. */
    public static boolean holds(Path file) {
        try {
            return Files.getFileStore(file.toRealPath()).type().equals("hugetlbfs");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Serialises "is there room, then map it" among this host's VMs: the lock is held from the check until
     * the monitor has mapped its memory (its control socket is up), so two clones cannot both count the
     * same free pages.
     */
    public Closeable lockPool() throws IOException {
        FileChannel channel =
                FileChannel.open(mount.resolve("jvmm-pool.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.lock();
            return () -> {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            };
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static long pageSizeOf(String options, long defaultPage) {
        for (String o : options.split(",")) {
            if (o.startsWith("pagesize=")) {
                String v = o.substring("pagesize=".length());
                long unit = v.endsWith("G") ? 1L << 30 : v.endsWith("M") ? 1L << 20 : v.endsWith("K") ? 1L << 10 : 1;
                return Long.parseLong(v.replaceAll("[GMK]$", "")) * unit;
            }
        }
        return defaultPage;
    }

    private static long meminfo(String key) throws IOException {
        for (String line : Files.readAllLines(MEMINFO)) {
            if (line.startsWith(key)) {
                return Long.parseLong(
                        line.substring(key.length()).replace("kB", "").strip());
            }
        }
        return 0;
    }
}
