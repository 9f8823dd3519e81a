package io.jvmm.task.sandbox;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Refuses, before anything starts, a VM or a file the host cannot hold: a VM larger than the memory the
 * host (and the shim's memory cgroup) has available, a template, root disk or checkpoint larger than the
 * free space where it goes. The refusal is RESOURCE_EXHAUSTED with the numbers; nothing was started or
 * written, so nothing is left behind. Without it such a VM failed late (QEMU killed by the OOM killer, a
 * half-written file on a full tmpfs) and unclearly.
 */
public final class Admission {
    /**
     * What a VM costs the host beyond its guest memory: the shim (~70 MiB, docs/benchmarks.md) and QEMU's
     * own memory with its helpers'. An estimate, not a measurement of this host; guest pages are counted in
     * full although a guest touches them as it goes (and a clone shares its template's).
     */
    static final long OVERHEAD_MIB = 160;

    private static final long MIB = 1 << 20;

    private Admission() {}

    /** The memory a new VM can have here, and where the figure comes from. */
    public record Memory(long availableMib, String source) {}

    /** The host's MemAvailable, or less when the shim's memory cgroup has less room below its limit. */
    public static Memory hostMemory() {
        String meminfo;
        try {
            meminfo = Files.readString(Path.of("/proc/meminfo"));
        } catch (IOException e) {
            return new Memory(Long.MAX_VALUE, "an unreadable /proc/meminfo");
        }
        return memory(meminfo, cgroupRoomBytes());
    }

    /** {@link #hostMemory} from a /proc/meminfo text and the cgroup's room below its limit (if it has one). */
    static Memory memory(String meminfo, OptionalLong cgroupRoomBytes) {
        long available = meminfoKib(meminfo, "MemAvailable").orElse(Long.MAX_VALUE / 1024) / 1024;
        if (cgroupRoomBytes.isPresent() && cgroupRoomBytes.getAsLong() / MIB < available) {
            return new Memory(Math.max(0, cgroupRoomBytes.getAsLong() / MIB), "the shim's memory cgroup");
        }
        return new Memory(available, "the host");
    }

    /** A field of /proc/meminfo in KiB. */
    static OptionalLong meminfoKib(String meminfo, String field) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith(field + ":")) {
                try {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Refuses a VM of {@code vmMib} when its memory and {@link #OVERHEAD_MIB} exceed what {@code memory} has. */
    public static void requireMemory(int vmMib, Memory memory) {
        long need = vmMib + OVERHEAD_MIB;
        if (need > memory.availableMib()) {
            throw TaskException.resourceExhausted("a VM of " + vmMib + " MiB needs about " + need
                    + " MiB of host memory (" + OVERHEAD_MIB + " MiB of it for QEMU and the shim); "
                    + memory.source() + " has " + memory.availableMib() + " MiB available");
        }
    }

    /** Refuses to write {@code bytes} of {@code what} below {@code dir} when its file system has less free. */
    public static void requireSpace(Path dir, long bytes, String what) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        FileStore store = Files.getFileStore(existing);
        long usable = store.getUsableSpace();
        if (bytes > usable) {
            throw TaskException.resourceExhausted(what + " needs " + ceilMib(bytes) + " MiB in " + dir + ", whose file"
                    + " system (" + store.name() + ") has " + usable / MIB + " MiB free");
        }
    }

    /**
     * After writing {@code what} below {@code dir} failed (and the writer's own files were removed): when
     * the file system has less free than the {@code bytes} it may need (admission saw the room, and
     * something else took it; or nothing checked before), that is the failure to report: RESOURCE_EXHAUSTED
     * with the numbers and {@code cause}'s message.
     */
    public static Optional<TaskException> shortage(Path dir, long bytes, String what, Exception cause) {
        try {
            FileStore store = Files.getFileStore(dir.toAbsolutePath());
            long usable = store.getUsableSpace();
            if (usable < bytes) {
                return Optional.of(TaskException.of(
                        Code.RESOURCE_EXHAUSTED,
                        what + " could not be written: its file system (" + store.name() + ") has " + usable / MIB
                                + " MiB free, less than the " + ceilMib(bytes) + " MiB it may need ("
                                + cause.getMessage() + ")",
                        cause));
            }
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        return Optional.empty();
    }

    private static long ceilMib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }

    /** Room below the memory limit of this process's cgroup (v2, or v1's memory controller), if limited. */
    private static OptionalLong cgroupRoomBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] parts = line.split(":", 3);
                if (parts.length < 3) {
                    continue;
                }
                Optional<long[]> limitAndUse = Optional.empty();
                if (parts[0].equals("0") && parts[1].isEmpty()) {
                    Path dir = Path.of("/sys/fs/cgroup").resolve(parts[2].substring(1));
                    limitAndUse = read(dir.resolve("memory.max"), dir.resolve("memory.current"));
                } else if (parts[1].equals("memory")) {
                    Path dir = Path.of("/sys/fs/cgroup/memory").resolve(parts[2].substring(1));
                    limitAndUse = read(dir.resolve("memory.limit_in_bytes"), dir.resolve("memory.usage_in_bytes"));
                }
                if (limitAndUse.isPresent()) {
                    return OptionalLong.of(limitAndUse.get()[0] - limitAndUse.get()[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup figure: the host's
        }
        return OptionalLong.empty();
    }

    /** A limit (none when "max" or absurdly large, as v1 writes it) and the usage. */
    private static Optional<long[]> read(Path limit, Path usage) throws IOException {
        if (!Files.exists(limit) || !Files.exists(usage)) {
            return Optional.empty();
        }
        String max = Files.readString(limit).strip();
        if (max.equals("max")) {
            return Optional.empty();
        }
        long bytes = Long.parseLong(max);
        if (bytes >= Long.MAX_VALUE / 2) {
            return Optional.empty();
        }
        return Optional.of(
                new long[] {bytes, Long.parseLong(Files.readString(usage).strip())});
    }
}
