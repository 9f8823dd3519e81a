package io.jvmm.shim.metrics;

import io.jvmm.vmm.HostTools;
import java.util.List;
import java.util.Locale;
import java.util.function.LongUnaryOperator;

/** Memory of host processes as the kernel accounts it (HostTools reads /proc): resident (RSS) and proportional (PSS). */
final class ProcMemory {
    enum Kind {
        RSS(HostTools::rssBytes),
        PSS(HostTools::pssBytes);

        private final LongUnaryOperator bytesOfPid;

        Kind(LongUnaryOperator bytesOfPid) {
            this.bytesOfPid = bytesOfPid;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private ProcMemory() {}

    /** This JVM's resident bytes. */
    static double selfRssBytes() {
        return HostTools.rssBytes(ProcessHandle.current().pid());
    }

    /** The sum over {@code pids} of {@code kind}; a process that is gone counts nothing. */
    static double sum(List<Long> pids, Kind kind) {
        long total = 0;
        for (long pid : pids) {
            total += kind.bytesOfPid.applyAsLong(pid);
        }
        return total;
    }
}
