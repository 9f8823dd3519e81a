package io.jvmm.task.event;

import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.sandbox.RootfsMount;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** What happened to a task, in containerd's terms; the shim turns each into a containerd event. */
public sealed interface TaskEvent {
    String containerId();

    record Created(String containerId, Path bundle, List<RootfsMount> rootfs, StdioConfig io, int pid)
            implements TaskEvent {}

    record Started(String containerId, int pid) implements TaskEvent {}

    record ExecAdded(String containerId, String execId) implements TaskEvent {}

    record ExecStarted(String containerId, String execId, int pid) implements TaskEvent {}

    /** {@code id} is the container id for the init process, the exec id for an exec. */
    record Exited(String containerId, String id, int pid, int exitStatus, Instant exitedAt) implements TaskEvent {}

    record Deleted(String containerId, int pid, int exitStatus, Instant exitedAt) implements TaskEvent {}

    record Oom(String containerId) implements TaskEvent {}

    record Paused(String containerId) implements TaskEvent {}

    record Resumed(String containerId) implements TaskEvent {}

    /** {@code checkpoint}: the directory the checkpoint was written to. */
    record Checkpointed(String containerId, String checkpoint) implements TaskEvent {}
}
