package io.jvmm.guest;

import io.jvmm.api.agent.v1.ContainerStatsResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Reads a container's cgroup v2 files into the agent's stats message. */
final class CgroupStats {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private CgroupStats() {}

    /** The cgroup directory of a process (cgroup v2: the single "0::/path" line). */
    static Path cgroupOf(int pid) throws IOException {
        String line = Files.readString(Path.of("/proc", Integer.toString(pid), "cgroup"))
                .strip();
        return ROOT.resolve(line.substring(line.indexOf("::") + 3));
    }

    static ContainerStatsResponse read(Path cgroup) throws IOException {
        Map<String, Long> cpu = keyed(cgroup.resolve("cpu.stat"));
        Map<String, Long> memory = keyed(cgroup.resolve("memory.stat"));
        Map<String, Long> events = keyed(cgroup.resolve("memory.events"));
        return ContainerStatsResponse.newBuilder()
                .setCpuUsageUsec(cpu.getOrDefault("usage_usec", 0L))
                .setCpuUserUsec(cpu.getOrDefault("user_usec", 0L))
                .setCpuSystemUsec(cpu.getOrDefault("system_usec", 0L))
                .setCpuNrPeriods(cpu.getOrDefault("nr_periods", 0L))
                .setCpuNrThrottled(cpu.getOrDefault("nr_throttled", 0L))
                .setCpuThrottledUsec(cpu.getOrDefault("throttled_usec", 0L))
                .setMemoryUsage(single(cgroup.resolve("memory.current")))
                .setMemoryLimit(single(cgroup.resolve("memory.max")))
                .setMemoryAnon(memory.getOrDefault("anon", 0L))
                .setMemoryFile(memory.getOrDefault("file", 0L))
                .setMemoryOomKills(events.getOrDefault("oom_kill", 0L))
                .setPidsCurrent(single(cgroup.resolve("pids.current")))
                .setPidsLimit(single(cgroup.resolve("pids.max")))
                .build();
    }

    static long oomKills(Path cgroup) {
        try {
            return keyed(cgroup.resolve("memory.events")).getOrDefault("oom_kill", 0L);
        } catch (IOException e) {
            return 0;
        }
    }

    /** "key value" lines; a missing file (controller not enabled) reads as empty. */
    private static Map<String, Long> keyed(Path file) throws IOException {
        Map<String, Long> values = new HashMap<>();
        if (!Files.exists(file)) {
            return values;
        }
        for (String line : Files.readAllLines(file)) {
            String[] kv = line.split(" ");
            if (kv.length == 2) {
                values.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return values;
    }

    /** A one-number file; "max" (no limit) and a missing file read as 0. */
    private static long single(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        String value = Files.readString(file).strip();
        return value.equals("max") ? 0 : Long.parseLong(value);
    }
}
