package io.jvmm.task.ttrpc;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.jvmm.api.containerd.cgroups.v2.CPUStat;
import io.jvmm.api.containerd.cgroups.v2.MemoryEvents;
import io.jvmm.api.containerd.cgroups.v2.MemoryStat;
import io.jvmm.api.containerd.cgroups.v2.Metrics;
import io.jvmm.api.containerd.cgroups.v2.PidsStat;
import io.jvmm.api.containerd.runc.CheckpointOptions;
import io.jvmm.api.containerd.task.ProcessInfo;
import io.jvmm.api.containerd.task.Status;
import io.jvmm.api.containerd.task.v3.CheckpointTaskRequest;
import io.jvmm.api.containerd.task.v3.CloseIORequest;
import io.jvmm.api.containerd.task.v3.ConnectRequest;
import io.jvmm.api.containerd.task.v3.ConnectResponse;
import io.jvmm.api.containerd.task.v3.CreateTaskRequest;
import io.jvmm.api.containerd.task.v3.CreateTaskResponse;
import io.jvmm.api.containerd.task.v3.DeleteRequest;
import io.jvmm.api.containerd.task.v3.DeleteResponse;
import io.jvmm.api.containerd.task.v3.ExecProcessRequest;
import io.jvmm.api.containerd.task.v3.KillRequest;
import io.jvmm.api.containerd.task.v3.PauseRequest;
import io.jvmm.api.containerd.task.v3.PidsRequest;
import io.jvmm.api.containerd.task.v3.PidsResponse;
import io.jvmm.api.containerd.task.v3.ResizePtyRequest;
import io.jvmm.api.containerd.task.v3.ResumeRequest;
import io.jvmm.api.containerd.task.v3.ShutdownRequest;
import io.jvmm.api.containerd.task.v3.StartRequest;
import io.jvmm.api.containerd.task.v3.StartResponse;
import io.jvmm.api.containerd.task.v3.StateRequest;
import io.jvmm.api.containerd.task.v3.StateResponse;
import io.jvmm.api.containerd.task.v3.StatsRequest;
import io.jvmm.api.containerd.task.v3.StatsResponse;
import io.jvmm.api.containerd.task.v3.UpdateTaskRequest;
import io.jvmm.api.containerd.task.v3.WaitRequest;
import io.jvmm.api.containerd.task.v3.WaitResponse;
import io.jvmm.api.containerd.types.Mount;
import io.jvmm.task.CreateTask;
import io.jvmm.task.ProcessView;
import io.jvmm.task.TaskException;
import io.jvmm.task.TaskService;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.sandbox.RootfsMount;
import io.jvmm.ttrpc.CallContext;
import io.jvmm.ttrpc.ServiceDefinition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * containerd's Task service on the wire: turns each request into a call on {@link TaskService} and its
 * result into containerd's messages. The same handlers serve {@code containerd.task.v2.Task} and
 * {@code containerd.task.v3.Task} (identical messages). Errors become statuses in one place, ttrpc's
 * {@code Statuses}.
 */
public final class TaskEndpoint {
    public static final String V2 = "containerd.task.v2.Task";
    public static final String V3 = "containerd.task.v3.Task";
    static final String METRICS_URL = "io.containerd.cgroups.v2.Metrics";
    /** Runtime options this runtime accepts (their content does not change how a VM runs). */
    private static final Set<String> KNOWN_OPTIONS = Set.of(
            "containerd.runc.v1.Options",
            "runtimeoptions.v1.Options",
            "type.googleapis.com/containerd.runc.v1.Options",
            "type.googleapis.com/runtimeoptions.v1.Options");

    /** What Shutdown triggers in the binary when the service says the shim may exit. */
    @FunctionalInterface
    public interface ExitRequest {
        void exitSoon();
    }

    private final TaskService tasks;
    private final ExitRequest exit;
    private final BooleanSupplier sandboxHeld;

    public TaskEndpoint(TaskService tasks, ExitRequest exit) {
        this(tasks, exit, () -> false);
    }

    /**
     * @param sandboxHeld whether containerd's Sandbox service owns the pod: then Task Shutdown leaves the VM
     *                    and the shim alone (only ShutdownSandbox ends them)
     */
    public TaskEndpoint(TaskService tasks, ExitRequest exit, BooleanSupplier sandboxHeld) {
        this.tasks = tasks;
        this.exit = exit;
        this.sandboxHeld = sandboxHeld;
    }

    /** The service under both of containerd's names. */
    public List<ServiceDefinition> definitions() {
        return List.of(definition(V2), definition(V3));
    }

    /**
     * The options ctr and containerd send are runc's CheckpointOptions; of them only {@code exit} means
     * something for a whole VM (its TCP connections, locks and terminals are saved with it anyway).
     */
    private Empty checkpoint(CheckpointTaskRequest r) {
        if (r.getPath().isEmpty() || !r.getPath().startsWith("/")) {
            throw TaskException.invalidArgument("checkpoint path must be absolute, not \"" + r.getPath() + "\"");
        }
        boolean exit = false;
        if (r.hasOptions() && !r.getOptions().getTypeUrl().isEmpty()) {
            if (!r.getOptions().getTypeUrl().endsWith("containerd.runc.v1.CheckpointOptions")) {
                throw TaskException.invalidArgument(
                        "checkpoint options of type " + r.getOptions().getTypeUrl() + " are not understood");
            }
            try {
                exit = CheckpointOptions.parseFrom(r.getOptions().getValue()).getExit();
            } catch (InvalidProtocolBufferException e) {
                throw TaskException.invalidArgument("malformed checkpoint options: " + e.getMessage(), e);
            }
        }
        tasks.checkpoint(r.getId(), Path.of(r.getPath()), exit);
        return Empty.getDefaultInstance();
    }

    private ServiceDefinition definition(String name) {
        return ContainerCalls.of(name)
                .unary("State", StateRequest.parser(), (ctx, r) -> state(r))
                .unary("Create", CreateTaskRequest.parser(), (ctx, r) -> create(r))
                .unary(
                        "Start",
                        StartRequest.parser(),
                        (ctx, r) -> StartResponse.newBuilder()
                                .setPid(tasks.start(r.getId(), r.getExecId()))
                                .build())
                .unary("Delete", DeleteRequest.parser(), (ctx, r) -> delete(r))
                .unary("Pids", PidsRequest.parser(), (ctx, r) -> pids(r))
                .unary("Pause", PauseRequest.parser(), (ctx, r) -> empty(() -> tasks.pause(r.getId())))
                .unary("Resume", ResumeRequest.parser(), (ctx, r) -> empty(() -> tasks.resume(r.getId())))
                .unary("Checkpoint", CheckpointTaskRequest.parser(), (ctx, r) -> checkpoint(r))
                .unary(
                        "Kill",
                        KillRequest.parser(),
                        (ctx, r) -> empty(() -> tasks.kill(r.getId(), r.getExecId(), r.getSignal(), r.getAll())))
                .unary("Exec", ExecProcessRequest.parser(), (ctx, r) -> exec(r))
                .unary(
                        "ResizePty",
                        ResizePtyRequest.parser(),
                        (ctx, r) -> empty(() -> tasks.resizePty(r.getId(), r.getExecId(), r.getWidth(), r.getHeight())))
                .unary(
                        "CloseIO",
                        CloseIORequest.parser(),
                        (ctx, r) -> empty(() -> tasks.closeIo(r.getId(), r.getExecId(), r.getStdin())))
                .unary("Update", UpdateTaskRequest.parser(), (ctx, r) -> update(r))
                .unary("Wait", WaitRequest.parser(), this::await)
                .unary(
                        "Stats",
                        StatsRequest.parser(),
                        (ctx, r) -> StatsResponse.newBuilder()
                                .setStats(Any.newBuilder()
                                        .setTypeUrl(METRICS_URL)
                                        .setValue(
                                                metrics(tasks.stats(r.getId())).toByteString()))
                                .build())
                .unary(
                        "Connect",
                        ConnectRequest.parser(),
                        (ctx, r) -> ConnectResponse.newBuilder()
                                .setShimPid((int) ProcessHandle.current().pid())
                                .setTaskPid(tasks.taskPid(r.getId()))
                                .build())
                .unary("Shutdown", ShutdownRequest.parser(), (ctx, r) -> {
                    if (!sandboxHeld.getAsBoolean() && tasks.shutdown(r.getNow())) {
                        exit.exitSoon();
                    }
                    return Empty.getDefaultInstance();
                })
                .build();
    }

    private CreateTaskResponse create(CreateTaskRequest r) {
        if (r.hasOptions()
                && !r.getOptions().getTypeUrl().isEmpty()
                && !KNOWN_OPTIONS.contains(r.getOptions().getTypeUrl())) {
            throw TaskException.invalidArgument(
                    "unsupported runtime options type " + r.getOptions().getTypeUrl());
        }
        if (r.getBundle().isEmpty() || !r.getBundle().startsWith("/")) {
            throw TaskException.invalidArgument("bundle must be an absolute path, not \"" + r.getBundle() + "\"");
        }
        List<RootfsMount> rootfs = r.getRootfsList().stream()
                .map(m -> new RootfsMount(m.getType(), m.getSource(), m.getTarget(), m.getOptionsList()))
                .toList();
        StdioConfig stdio = new StdioConfig(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal());
        int pid = tasks.create(new CreateTask(r.getId(), Path.of(r.getBundle()), rootfs, stdio, r.getCheckpoint()));
        return CreateTaskResponse.newBuilder().setPid(pid).build();
    }

    private Empty exec(ExecProcessRequest r) {
        if (!r.hasSpec() || r.getSpec().getValue().isEmpty()) {
            throw TaskException.invalidArgument("exec " + r.getExecId() + ": a process spec is required");
        }
        tasks.exec(
                r.getId(),
                r.getExecId(),
                new StdioConfig(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal()),
                r.getSpec().getValue().toByteArray());
        return Empty.getDefaultInstance();
    }

    private Empty update(UpdateTaskRequest r) {
        if (!r.hasResources() || r.getResources().getValue().isEmpty()) {
            throw TaskException.invalidArgument("update of " + r.getId() + ": resources are required");
        }
        tasks.update(r.getId(), r.getResources().getValue().toByteArray());
        return Empty.getDefaultInstance();
    }

    private DeleteResponse delete(DeleteRequest r) {
        TaskService.DeleteResult d = tasks.delete(r.getId(), r.getExecId(), sandboxHeld.getAsBoolean());
        return DeleteResponse.newBuilder()
                .setPid(d.pid())
                .setExitStatus(d.exit().status())
                .setExitedAt(timestamp(d.exit().exitedAt()))
                .build();
    }

    private StateResponse state(StateRequest r) {
        ProcessView v = tasks.state(r.getId(), r.getExecId());
        StateResponse.Builder b = StateResponse.newBuilder()
                .setId(r.getId())
                .setExecId(v.execId())
                .setBundle(v.bundle().toString())
                .setPid(v.pid())
                .setStatus(status(v))
                .setStdin(v.stdio().stdin())
                .setStdout(v.stdio().stdout())
                .setStderr(v.stdio().stderr())
                .setTerminal(v.stdio().terminal());
        v.exit().ifPresent(e -> b.setExitStatus(e.status()).setExitedAt(timestamp(e.exitedAt())));
        return b.build();
    }

    private static Status status(ProcessView v) {
        return switch (v.state()) {
            case CREATED -> Status.CREATED;
            case RUNNING -> Status.RUNNING;
            case PAUSED -> Status.PAUSED;
            case STOPPED, DELETED -> Status.STOPPED;
        };
    }

    private PidsResponse pids(PidsRequest r) {
        PidsResponse.Builder b = PidsResponse.newBuilder();
        for (int pid : tasks.pids(r.getId())) {
            b.addProcesses(ProcessInfo.newBuilder().setPid(pid));
        }
        return b.build();
    }

    /** Wait ends with the exit, or when the caller's deadline passes or its connection goes. */
    private WaitResponse await(CallContext ctx, WaitRequest r) {
        ExitStatus e = tasks.await(r.getId(), r.getExecId(), ctx.timeRemaining(), cancellation(ctx));
        return WaitResponse.newBuilder()
                .setExitStatus(e.status())
                .setExitedAt(timestamp(e.exitedAt()))
                .build();
    }

    static Metrics metrics(ContainerStats s) {
        return Metrics.newBuilder()
                .setPids(PidsStat.newBuilder().setCurrent(s.pidsCurrent()).setLimit(s.pidsLimit()))
                .setCpu(CPUStat.newBuilder()
                        .setUsageUsec(s.cpuUsageUsec())
                        .setUserUsec(s.cpuUserUsec())
                        .setSystemUsec(s.cpuSystemUsec())
                        .setNrPeriods(s.cpuNrPeriods())
                        .setNrThrottled(s.cpuNrThrottled())
                        .setThrottledUsec(s.cpuThrottledUsec()))
                .setMemory(MemoryStat.newBuilder()
                        .setUsage(s.memoryUsage())
                        .setUsageLimit(s.memoryLimit())
                        .setAnon(s.memoryAnon())
                        .setFile(s.memoryFile()))
                .setMemoryEvents(MemoryEvents.newBuilder().setOomKill(s.memoryOomKills()))
                .build();
    }

    /** Completes when the caller of a long wait goes away (its connection closes or it cancels). */
    static CompletableFuture<Void> cancellation(CallContext ctx) {
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        ctx.onCancel(() -> cancelled.complete(null));
        return cancelled;
    }

    public static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder()
                .setSeconds(i.getEpochSecond())
                .setNanos(i.getNano())
                .build();
    }

    private static Empty empty(Runnable action) {
        action.run();
        return Empty.getDefaultInstance();
    }

    /** Mount as containerd's message, for events. */
    public static Mount mount(RootfsMount m) {
        return Mount.newBuilder()
                .setType(m.type())
                .setSource(m.source())
                .setTarget(m.target())
                .addAllOptions(m.options())
                .build();
    }
}
