package io.jvmm.task.sandbox;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonRecords;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a dead shim's {@code delete} needs to clean up after its sandbox: the VM's processes (pid and start
 * time, so a reused pid is never killed) and its cgroup. Written atomically next to the sandbox's state.
 */
public record SandboxRecord(long shimPid, List<ProcessRecord> processes, String cgroup) {
    static final String FILE = "sandbox.json";

    public record ProcessRecord(long pid, long startMillis) {
        static ProcessRecord of(long pid) {
            long start = ProcessHandle.of(pid)
                    .flatMap(h -> h.info().startInstant())
                    .map(i -> i.toEpochMilli())
                    .orElse(0L);
            return new ProcessRecord(pid, start);
        }

        /** The process, if it is still the one recorded. */
        Optional<ProcessHandle> live() {
            return ProcessHandle.of(pid)
                    .filter(h -> h.info()
                            .startInstant()
                            .map(i -> i.toEpochMilli() == startMillis)
                            .orElse(false));
        }
    }

    void write(Path stateDir) throws IOException {
        AtomicFile.write(stateDir.resolve(FILE), Json.writeBytes(this, false));
    }

    /** The sandbox's VM processes (its monitor and helpers) that still run, as its record in {@code stateDir} lists them. */
    public static List<Long> liveProcesses(Path stateDir) {
        return read(stateDir)
                .map(r -> r.processes().stream()
                        .flatMap(p -> p.live().stream())
                        .map(ProcessHandle::pid)
                        .toList())
                .orElse(List.of());
    }

    static Optional<SandboxRecord> read(Path stateDir) {
        try {
            return Optional.of(JsonRecords.read(Json.parse(stateDir.resolve(FILE)), SandboxRecord.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
