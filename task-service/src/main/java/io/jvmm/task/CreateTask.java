package io.jvmm.task;

import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.sandbox.RootfsMount;
import java.nio.file.Path;
import java.util.List;

/** A Create request as the domain sees it (options already checked at the edge). */
public record CreateTask(String id, Path bundle, List<RootfsMount> rootfs, StdioConfig stdio, String checkpoint) {
    public CreateTask {
        rootfs = List.copyOf(rootfs);
        checkpoint = checkpoint == null ? "" : checkpoint;
    }
}
