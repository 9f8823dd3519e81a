package io.jvmm.shim.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Memory of host processes as the kernel accounts it: resident (RSS) and proportional (PSS) sizes. */
final class ProcMemory {
    enum Kind {
        RSS("Rss:"),
        PSS("Pss:");

        private final String field;

        Kind(String field) {
            this.field = field;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private ProcMemory() {}

    /** This JVM's resident bytes ({@code /proc/self/statm}'s second field, in pages of 4 KiB). */
    static double selfRssBytes() {
        try {
            String[] fields =
                    Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(fields[1]) * 4096.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The sum over {@code pids} of {@code kind} from smaps_rollup; a process that is gone counts nothing. */
    static double sum(List<Long> pids, Kind kind) {
        long total = 0;
        for (long pid : pids) {
            total += rollupBytes(Path.of("/proc", Long.toString(pid), "smaps_rollup"), kind);
        }
        return total;
    }

    /** One field of an smaps_rollup file, in bytes (0 when the file or the field is not there). */
    static long rollupBytes(Path rollup, Kind kind) {
        try {
            for (String line : Files.readAllLines(rollup)) {
                if (line.startsWith(kind.field)) {
                    String[] parts = line.substring(kind.field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0; // the process ended (or is not ours to read): it holds nothing any more
        }
        return 0;
    }
}
