package io.jvmm.shim.events;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.jvmm.api.containerd.events.TaskCheckpointed;
import io.jvmm.api.containerd.events.TaskCreate;
import io.jvmm.api.containerd.events.TaskDelete;
import io.jvmm.api.containerd.events.TaskExecAdded;
import io.jvmm.api.containerd.events.TaskExecStarted;
import io.jvmm.api.containerd.events.TaskExit;
import io.jvmm.api.containerd.events.TaskIO;
import io.jvmm.api.containerd.events.TaskOOM;
import io.jvmm.api.containerd.events.TaskPaused;
import io.jvmm.api.containerd.events.TaskResumed;
import io.jvmm.api.containerd.events.TaskStart;
import io.jvmm.api.containerd.types.Envelope;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.ttrpc.TaskEndpoint;
import java.time.Instant;

/** A task event as containerd receives it: topic, message, and an Any named by the message's full name. */
public final class EventEnvelopes {
    private EventEnvelopes() {}

    public static String topic(TaskEvent event) {
        return switch (event) {
            case TaskEvent.Created e -> "/tasks/create";
            case TaskEvent.Started e -> "/tasks/start";
            case TaskEvent.ExecAdded e -> "/tasks/exec-added";
            case TaskEvent.ExecStarted e -> "/tasks/exec-started";
            case TaskEvent.Exited e -> "/tasks/exit";
            case TaskEvent.Deleted e -> "/tasks/delete";
            case TaskEvent.Oom e -> "/tasks/oom";
            case TaskEvent.Paused e -> "/tasks/paused";
            case TaskEvent.Resumed e -> "/tasks/resumed";
            case TaskEvent.Checkpointed e -> "/tasks/checkpointed";
        };
    }

    public static Message message(TaskEvent event) {
        return switch (event) {
            case TaskEvent.Created e ->
                TaskCreate.newBuilder()
                        .setContainerId(e.containerId())
                        .setBundle(e.bundle().toString())
                        .addAllRootfs(
                                e.rootfs().stream().map(TaskEndpoint::mount).toList())
                        .setIo(TaskIO.newBuilder()
                                .setStdin(e.io().stdin())
                                .setStdout(e.io().stdout())
                                .setStderr(e.io().stderr())
                                .setTerminal(e.io().terminal()))
                        .setPid(e.pid())
                        .build();
            case TaskEvent.Started e ->
                TaskStart.newBuilder()
                        .setContainerId(e.containerId())
                        .setPid(e.pid())
                        .build();
            case TaskEvent.ExecAdded e ->
                TaskExecAdded.newBuilder()
                        .setContainerId(e.containerId())
                        .setExecId(e.execId())
                        .build();
            case TaskEvent.ExecStarted e ->
                TaskExecStarted.newBuilder()
                        .setContainerId(e.containerId())
                        .setExecId(e.execId())
                        .setPid(e.pid())
                        .build();
            case TaskEvent.Exited e ->
                TaskExit.newBuilder()
                        .setContainerId(e.containerId())
                        .setId(e.id())
                        .setPid(e.pid())
                        .setExitStatus(e.exitStatus())
                        .setExitedAt(TaskEndpoint.timestamp(e.exitedAt()))
                        .build();
            case TaskEvent.Deleted e ->
                TaskDelete.newBuilder()
                        .setContainerId(e.containerId())
                        .setPid(e.pid())
                        .setExitStatus(e.exitStatus())
                        .setExitedAt(TaskEndpoint.timestamp(e.exitedAt()))
                        .build();
            case TaskEvent.Oom e ->
                TaskOOM.newBuilder().setContainerId(e.containerId()).build();
            case TaskEvent.Paused e ->
                TaskPaused.newBuilder().setContainerId(e.containerId()).build();
            case TaskEvent.Resumed e ->
                TaskResumed.newBuilder().setContainerId(e.containerId()).build();
            case TaskEvent.Checkpointed e ->
                TaskCheckpointed.newBuilder()
                        .setContainerId(e.containerId())
                        .setCheckpoint(e.checkpoint())
                        .build();
        };
    }

    public static Envelope envelope(String namespace, TaskEvent event, Instant at) {
        Message m = message(event);
        return Envelope.newBuilder()
                .setTimestamp(TaskEndpoint.timestamp(at))
                .setNamespace(namespace)
                .setTopic(topic(event))
                .setEvent(Any.newBuilder()
                        .setTypeUrl(m.getDescriptorForType().getFullName())
                        .setValue(m.toByteString()))
                .build();
    }
}
