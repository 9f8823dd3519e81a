package io.jvmm.task;

import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.process.ProcessStatus;
import java.nio.file.Path;
import java.util.Optional;

/** A consistent snapshot of one process, for State. */
public record ProcessView(
        String containerId,
        String execId,
        Path bundle,
        int pid,
        ProcessStatus state,
        StdioConfig stdio,
        Optional<ExitStatus> exit) {}
