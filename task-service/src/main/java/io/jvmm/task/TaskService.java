package io.jvmm.task;

import io.jvmm.api.json.JsonObject;
import io.jvmm.agent.client.AgentClient;
import io.jvmm.agent.client.AgentUnavailableException;
import io.jvmm.api.Identifiers;
import io.jvmm.api.agent.v1.ContainerStatsResponse;
import io.jvmm.api.agent.v1.GuestEvent;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.process.ProcessState;
import io.jvmm.task.process.TaskProcess;
import io.jvmm.task.sandbox.ContainerCheckpoint;
import io.jvmm.task.sandbox.GuestSpec;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.task.sandbox.NetworkPlan;
import io.jvmm.task.sandbox.PauseContainer;
import io.jvmm.task.sandbox.PodSizing;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.vmm.VmExit;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * containerd's Task service for the containers of one sandbox, in domain terms: every request is checked
 * against the process state machines, carried out by the guest agent, and reported as events. The VM is
 * booted by the first Create and powered off by Shutdown once no container is left.
 */
public final class TaskService implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TaskService.class);
    private static final Duration WAIT_SLICE = Duration.ofMinutes(10);
    private static final Duration WAIT_RETRY_FLOOR = Duration.ofSeconds(1);
    private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(30);
    private static final Duration EXECS_AFTER_INIT = Duration.ofSeconds(10);
    private static final Duration CREATED_EXIT_AFTER_DELETE = Duration.ofSeconds(10);
    private static final Duration MONITOR_CALL = Duration.ofSeconds(30);

    /** Makes the sandbox (state directory and share, not yet the VM) when the first container needs it. */
    @FunctionalInterface
    public interface SandboxFactory {
        VmSandbox prepare() throws IOException;
    }

    private final String namespace;
    private final SandboxFactory sandboxes;
    private final EventSink events;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    /** Serialises what changes the set of containers or the sandbox: create, delete, pause, shutdown. */
    private final Object lifecycle = new Object();
    private VmSandbox sandbox;
    private volatile boolean closing;
    /** The Sandbox service stopped the pod: its VM is gone for good and no container may be created. */
    private volatile boolean sandboxStopped;

    public TaskService(String namespace, SandboxFactory sandboxes, EventSink events) {
        this.namespace = namespace;
        this.sandboxes = sandboxes;
        this.events = events;
    }

    public int create(CreateTask request) {
        String id = validId(request.id());
        if (!request.checkpoint().isEmpty()) {
            return restore(request);
        }
        synchronized (lifecycle) {
            if (containers.containsKey(id)) {
                throw TaskException.alreadyExists("container " + id + ": already exists");
            }
            if (sandboxStopped) {
                throw TaskException.failedPrecondition("container " + id + ": the sandbox is stopped");
            }
            JsonObject spec = GuestSpec.parse(readConfig(request));
            VmSandbox sb = sandbox();
            mountRootfs(sb, request);
            try {
                return createInGuest(sb, request, spec);
            } catch (RuntimeException | IOException e) {
                sb.unmountContainer(id);
                throw e instanceof RuntimeException r ? r : new IllegalStateException("create " + id + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Create with a checkpoint: the sandbox's VM is restored from it, with the container running on in it
     * (its memory as it was), and the output of its init is given to this request's IO. Start then only
     * records it as started. The sandbox must be new: a checkpoint brings its own VM.
     */
    private int restore(CreateTask request) {
        String id = request.id();
        synchronized (lifecycle) {
            if (containers.containsKey(id)) {
                throw TaskException.alreadyExists("container " + id + ": already exists");
            }
            VmSandbox sb = sandbox();
            if (sb.hasVm()) {
                throw TaskException.failedPrecondition("container " + id + ": a checkpoint is restored into a sandbox of its own");
            }
            try {
                ContainerCheckpoint.Manifest m = bootFrom(sb, () -> sb.bootFromCheckpoint(id, new ContainerCheckpoint(Path.of(request.checkpoint()))));
                TaskProcess init = new TaskProcess(id, "", request.stdio(), new byte[0]);
                init.inGuest(m.initPid(), sb.vmmPid());
                AgentClient agent = sb.agent();
                init.io(ProcessIo.start(id, request.stdio(), kind -> agent.openStdio(kind, id, ""), binaryEnv(id)));
                Container container = new Container(id, request.bundle(), init, true);
                containers.put(id, container);
                watchExit(container, init);
                events.publish(new TaskEvent.Created(id, request.bundle(), request.rootfs(), request.stdio(), init.pid()));
                return init.pid();
            } catch (IOException e) {
                throw new IllegalStateException("cannot restore " + id + " from " + request.checkpoint() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Checkpoint: the container's VM is saved whole into {@code path} (with its root disk), then runs on, or
     * with {@code exit} its container is killed (runc's --exit). Refused while execs run: a restore brings
     * back the container's init, and an exec would come back unknown to the new shim.
     */
    public void checkpoint(String id, Path path, boolean exit) {
        Container c = container(id);
        synchronized (lifecycle) {
            ProcessState state = c.init().state();
            if (state != ProcessState.RUNNING && state != ProcessState.PAUSED) {
                throw TaskException.failedPrecondition("container " + id + " cannot be checkpointed: it is " + state.adjective());
            }
            if (c.execs().stream().anyMatch(e -> e.state() == ProcessState.RUNNING)) {
                throw TaskException.failedPrecondition("container " + id + " cannot be checkpointed while execs run in it");
            }
            try {
                sandbox.checkpoint(id, c.init().guestPid(), new ContainerCheckpoint(path));
            } catch (IOException e) {
                throw new IllegalStateException("cannot checkpoint " + id + " into " + path + ": " + e.getMessage(), e);
            }
            if (state == ProcessState.RUNNING || exit) {
                sandbox.resume(MONITOR_CALL); // a task containerd paused first stays paused until its Resume
            }
            if (exit) {
                if (state == ProcessState.PAUSED) {
                    markAll(c, ProcessState.PAUSED, ProcessState.RUNNING, "checkpoint");
                }
                sandboxAgent().signal(id, "", 9, true);
            }
        }
        events.publish(new TaskEvent.Checkpointed(id, path.toString()));
    }

    private int createInGuest(VmSandbox sb, CreateTask request, JsonObject spec) throws IOException {
        String id = request.id();
        bootIfNeeded(sb, spec);
        VmSandbox.GuestRoot root = sb.attachRoot(id);
        byte[] guestSpec = GuestSpec.translate(spec, id, root.specPath(), (host, i, ro) -> sb.shareHostPath(id, host, i, ro));
        AgentClient agent = sb.agent();
        TaskProcess init = new TaskProcess(id, "", request.stdio(), new byte[0]);
        long asked = System.nanoTime();
        init.inGuest(agent.createContainer(id, "", guestSpec, stdioSpec(request.stdio()), root.diskSerial()), sb.vmmPid());
        LOG.info("container {} created in the guest (pid {} there) in {} ms", id, init.guestPid(), (System.nanoTime() - asked) / 1_000_000);
        try {
            init.io(ProcessIo.start(id, request.stdio(), kind -> agent.openStdio(kind, id, ""), binaryEnv(id)));
        } catch (IOException | RuntimeException e) {
            agent.deleteContainer(id);
            throw e;
        }
        Container container = new Container(id, request.bundle(), init);
        containers.put(id, container);
        watchExit(container, init);
        events.publish(new TaskEvent.Created(id, request.bundle(), request.rootfs(), request.stdio(), init.pid()));
        return init.pid();
    }

    private static byte[] readConfig(CreateTask request) {
        try {
            return Files.readAllBytes(request.bundle().resolve("config.json"));
        } catch (IOException e) {
            throw TaskException.invalidArgument("cannot read the bundle's config.json: " + e.getMessage(), e);
        }
    }

    private static void mountRootfs(VmSandbox sb, CreateTask request) {
        try {
            sb.mountRootfs(request.id(), request.rootfs(), request.bundle());
        } catch (IOException e) {
            throw new IllegalStateException("cannot mount the root file system of " + request.id() + ": " + e.getMessage(), e);
        }
    }

    private VmSandbox sandbox() {
        if (sandbox == null) {
            try {
                sandbox = sandboxes.prepare();
            } catch (IOException e) {
                throw new IllegalStateException("cannot prepare the sandbox: " + e.getMessage(), e);
            }
        }
        return sandbox;
    }

    /**
     * The Sandbox service's StartSandbox: prepares the sandbox and boots its VM at {@code size} before any
     * container exists, wired into the pod's network namespace when there is one. Returns the VM's status
     * (the monitor's pid is the sandbox's pid).
     */
    public VmSandbox.VmStatus startSandbox(VmSize size, NetworkPlan network) {
        synchronized (lifecycle) {
            if (sandboxStopped) {
                throw TaskException.failedPrecondition("the sandbox is stopped");
            }
            VmSandbox sb = sandbox();
            if (sb.hasVm()) {
                throw TaskException.failedPrecondition("the sandbox VM was already started");
            }
            try {
                boot(sb, size, network, false);
            } catch (IOException e) {
                throw new IllegalStateException("cannot boot the sandbox VM: " + e.getMessage(), e);
            }
            return sb.status();
        }
    }

    /** When the sandbox's VM ended (for whatever reason); empty when it never booted. */
    public Optional<CompletableFuture<VmExit>> sandboxExit() {
        VmSandbox sb = sandbox;
        return sb == null || !sb.hasVm() ? Optional.empty() : Optional.of(sb.exitFuture());
    }

    /** The running VM's status, if it runs. */
    public Optional<VmSandbox.VmStatus> sandboxStatus() {
        VmSandbox sb = sandbox;
        return sb == null || !sb.isBooted() ? Optional.empty() : Optional.of(sb.status());
    }

    /**
     * The Sandbox service's StopSandbox: the VM is stopped within {@code timeout} (gracefully first); the
     * containers still in it are reported killed; no container can be created afterwards. Idempotent.
     */
    public void stopSandbox(Duration timeout) {
        synchronized (lifecycle) {
            sandboxStopped = true;
            if (sandbox != null) {
                sandbox.stop(timeout);
            }
        }
    }

    /**
     * The first Create boots the VM: a pod's sandbox container sizes it; the first container's spec says
     * which network the VM gets (the pod's namespace, the host's, or none).
     */
    private void bootIfNeeded(VmSandbox sb, JsonObject spec) throws IOException {
        if (sb.isBooted()) {
            return;
        }
        if (sb.hasVm()) {
            throw TaskException.failedPrecondition("the sandbox VM has stopped: no container can be created in it");
        }
        VmSize configured = VmSize.of(sb.settings());
        VmSize size = PauseContainer.of(spec)
                .map(p -> PodSizing.size(p.resources(), configured)).orElse(configured);
        // A lone container that needs no host path but its root can have it as a disk (from a template).
        boolean loneWithoutBinds = PauseContainer.of(spec).isEmpty() && !GuestSpec.hasHostBinds(spec);
        boot(sb, size, PauseContainer.networkOf(spec), loneWithoutBinds);
    }

    private void boot(VmSandbox sb, VmSize size, NetworkPlan network, boolean rootOnDiskIfTemplated) throws IOException {
        bootFrom(sb, () -> {
            sb.boot(size, network, rootOnDiskIfTemplated);
            return null;
        });
    }

    /** How a sandbox's VM comes up: booted, or restored from a checkpoint. */
    private interface VmStart<T> {
        T start() throws IOException;
    }

    /** Starts the VM one way or the other; a failure closes the sandbox; success wires its events and exit. */
    private <T> T bootFrom(VmSandbox sb, VmStart<T> how) throws IOException {
        T result;
        try {
            result = how.start();
        } catch (IOException | RuntimeException e) {
            LOG.error("sandbox VM failed to boot: {}", e.getMessage());
            sb.close();
            sandbox = null;
            throw e;
        }
        forwardGuestEvents(sb.agent());
        sb.exitFuture().thenAccept(exit -> {
            if (!closing && !sandboxStopped) {
                LOG.warn("sandbox VM exited unexpectedly: {}; its processes are reported killed", exit.reason());
            }
        });
        return result;
    }

    /** OOM kills in the guest become /tasks/oom events for as long as the agent connection lives. */
    private void forwardGuestEvents(AgentClient agent) {
        var call = agent.events();
        Thread.ofPlatform().daemon(true).name("guest-events").start(() -> {
            try {
                for (Optional<GuestEvent> e = call.receive(); e.isPresent(); e = call.receive()) {
                    if (e.get().hasOom() && containers.containsKey(e.get().getContainerId())) {
                        events.publish(new TaskEvent.Oom(e.get().getContainerId()));
                    }
                }
            } catch (RuntimeException e) {
                LOG.debug("guest event stream ended: {}", e.getMessage());
            }
        });
    }

    public int start(String id, String execId) {
        Container c = container(id);
        TaskProcess p = c.process(execId);
        return p.isInit() ? startInit(c, p) : startExec(c, p);
    }

    private int startInit(Container c, TaskProcess init) {
        synchronized (init) {
            init.require(ProcessState.CREATED, "start");
            if (!c.restored()) {
                sandboxAgent().startContainer(c.id());
            }
            init.transition(ProcessState.RUNNING, "start");
        }
        events.publish(new TaskEvent.Started(c.id(), init.pid()));
        return init.pid();
    }

    private int startExec(Container c, TaskProcess exec) {
        AgentClient agent = sandboxAgent();
        synchronized (exec) {
            exec.require(ProcessState.CREATED, "start");
            if (c.init().state() != ProcessState.RUNNING) {
                throw TaskException.failedPrecondition("cannot exec in a " + c.init().state().adjective() + " state");
            }
            exec.inGuest(agent.exec(c.id(), exec.execId(), exec.processJson(), stdioSpec(exec.stdio())), sandbox.vmmPid());
            LOG.debug("exec {} of {} started in the guest as pid {}", exec.execId(), c.id(), exec.guestPid());
            try {
                exec.io(ProcessIo.start(c.id() + "-" + exec.execId(), exec.stdio(),
                        kind -> agent.openStdio(kind, c.id(), exec.execId()), binaryEnv(c.id())));
            } catch (IOException e) {
                agent.signal(c.id(), exec.execId(), 9, false);
                throw new IllegalStateException("cannot connect the stdio of exec " + exec.execId() + ": " + e.getMessage(), e);
            }
            exec.transition(ProcessState.RUNNING, "start");
        }
        watchExit(c, exec);
        events.publish(new TaskEvent.ExecStarted(c.id(), exec.execId(), exec.pid()));
        return exec.pid();
    }

    public void exec(String id, String execId, StdioConfig stdio, byte[] processJson) {
        Container c = container(id);
        validId("exec", execId);
        if (c.init().state() != ProcessState.RUNNING) {
            throw TaskException.failedPrecondition("cannot exec in a " + c.init().state().adjective() + " state");
        }
        GuestSpec.parseProcess(processJson);
        c.addExec(new TaskProcess(id, execId, stdio, processJson));
        events.publish(new TaskEvent.ExecAdded(id, execId));
    }

    /** Removes a stopped (or never started) process; for init, the whole container. */
    public DeleteResult delete(String id, String execId) {
        Container c = container(id);
        TaskProcess p = c.process(execId);
        return p.isInit() ? deleteContainer(c) : deleteExec(c, p);
    }

    private DeleteResult deleteExec(Container c, TaskProcess exec) {
        boolean startedInGuest = exec.pid() > 0;
        exec.transition(ProcessState.DELETED, "delete");
        c.removeExec(exec.execId());
        exec.io().ifPresent(ProcessIo::close);
        if (startedInGuest) {
            forgetInGuest(c, exec);
        }
        ExitStatus exit = exec.exitStatus().orElse(new ExitStatus(0, Instant.EPOCH));
        return new DeleteResult(exec.pid(), exit);
    }

    /** The guest forgets the exec too (so the id can be reused); a guest that is gone has nothing to forget. */
    private void forgetInGuest(Container c, TaskProcess exec) {
        try {
            sandboxAgent().deleteProcess(c.id(), exec.execId());
        } catch (RuntimeException e) {
            LOG.warn("the guest could not forget exec {}: {}", exec.eventId(), e.getMessage());
        }
    }

    private DeleteResult deleteContainer(Container c) {
        synchronized (lifecycle) {
            TaskProcess init = c.init();
            ProcessState before = init.state();
            if (!before.canBecome(ProcessState.DELETED)) {
                throw TaskException.failedPrecondition("cannot delete a " + before.adjective() + " process");
            }
            deleteInGuest(c.id());
            if (before == ProcessState.CREATED) {
                // crun deleted the never-started init: its exit (reported by the watcher) comes first.
                awaitQuietly(init.exitFuture(), CREATED_EXIT_AFTER_DELETE);
                reportExit(init, ExitStatus.killedNow());
            }
            init.transition(ProcessState.DELETED, "delete");
            init.io().ifPresent(ProcessIo::close);
            c.execs().forEach(e -> e.io().ifPresent(ProcessIo::close));
            sandbox.unmountContainer(c.id());
            containers.remove(c.id());
            ExitStatus exit = init.exitStatus().orElseGet(ExitStatus::killedNow);
            events.publish(new TaskEvent.Deleted(c.id(), init.pid(), exit.status(), exit.exitedAt()));
            return new DeleteResult(init.pid(), exit);
        }
    }

    private void deleteInGuest(String id) {
        if (sandbox == null || !sandbox.isBooted()) {
            return; // the VM stopped: nothing of the container is left in it
        }
        try {
            sandboxAgent().deleteContainer(id);
        } catch (AgentUnavailableException e) {
            LOG.warn("agent gone while deleting {}: {}", id, e.getMessage());
        } catch (TtrpcException e) {
            if (e.code() != Code.NOT_FOUND) {
                throw e;
            }
        }
    }

    public ProcessView state(String id, String execId) {
        Container c = container(id);
        TaskProcess p = c.process(execId);
        return new ProcessView(id, p.execId(), c.bundle(), p.pid(), p.state(), p.stdio(), p.exitStatus());
    }

    /**
     * The container's processes as the host sees them: all of them live in the VMM, so the one pid listed
     * is the VMM's (as Kata answers), and none once the guest has no process left in the container (which is
     * how containerd, on restart, tells a task shim with nothing to serve). One entry, not one per guest
     * process: CRI counts each listed pid's open files on the host.
     */
    public List<Integer> pids(String id) {
        container(id);
        if (sandboxAgent().listProcesses(id).isEmpty()) {
            return List.of();
        }
        return List.of(sandbox.vmmPid());
    }

    public void kill(String id, String execId, int signal, boolean all) {
        Container c = container(id);
        TaskProcess p = c.process(execId);
        if (signal < 1 || signal > 64) {
            throw TaskException.invalidArgument("signal " + signal + " is out of range 1-64");
        }
        ProcessState state = p.state();
        if (state == ProcessState.STOPPED || state == ProcessState.DELETED) {
            throw TaskException.notFound("process already finished");
        }
        sandboxAgent().signal(id, p.execId(), signal, all);
    }

    /** Blocks until the process exits (or the timeout passes / the call is cancelled). */
    public ExitStatus await(String id, String execId, Optional<Duration> timeout, CompletableFuture<?> cancelled) {
        TaskProcess p = container(id).process(execId);
        CompletableFuture<ExitStatus> exit = p.exitFuture();
        CompletableFuture<Object> either = CompletableFuture.anyOf(exit, cancelled);
        try {
            Object r = timeout.isPresent() ? either.get(timeout.get().toNanos(), TimeUnit.NANOSECONDS) : either.get();
            if (r instanceof ExitStatus s) {
                return s;
            }
            throw new CancellationException("wait for " + p.eventId() + " cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            throw new CancellationException("wait for " + p.eventId() + " cancelled: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new TtrpcException(Code.DEADLINE_EXCEEDED, "process " + p.eventId() + " still running at the deadline");
        }
    }

    public void closeIo(String id, String execId, boolean stdin) {
        TaskProcess p = container(id).process(execId);
        if (stdin) {
            p.io().ifPresent(ProcessIo::closeStdin);
        }
    }

    public void resizePty(String id, String execId, int width, int height) {
        TaskProcess p = container(id).process(execId);
        if (!p.stdio().terminal()) {
            throw TaskException.failedPrecondition("process " + p.eventId() + " has no terminal");
        }
        if (p.state() != ProcessState.RUNNING && p.state() != ProcessState.CREATED) {
            throw TaskException.failedPrecondition("cannot resize the terminal of a " + p.state().adjective() + " process");
        }
        sandboxAgent().resizePty(id, p.execId(), width, height);
    }

    /** Pauses the whole VM (every container of the sandbox stops with it). */
    public void pause(String id) {
        freeze(id, true);
    }

    public void resume(String id) {
        freeze(id, false);
    }

    private void freeze(String id, boolean pause) {
        Container c = container(id);
        ProcessState from = pause ? ProcessState.RUNNING : ProcessState.PAUSED;
        ProcessState to = pause ? ProcessState.PAUSED : ProcessState.RUNNING;
        String action = pause ? "pause" : "resume";
        synchronized (lifecycle) {
            c.init().require(from, action);
            if (pause) {
                sandbox.pause(MONITOR_CALL);
            } else {
                sandbox.resume(MONITOR_CALL);
            }
            for (Container each : containers.values()) {
                if (markAll(each, from, to, action)) {
                    events.publish(pause ? new TaskEvent.Paused(each.id()) : new TaskEvent.Resumed(each.id()));
                }
            }
        }
    }

    private static boolean markAll(Container c, ProcessState from, ProcessState to, String action) {
        boolean initChanged = false;
        List<TaskProcess> all = new ArrayList<>(c.execs());
        all.add(c.init());
        for (TaskProcess p : all) {
            synchronized (p) {
                if (p.state() == from) {
                    p.transition(to, action);
                    initChanged |= p.isInit();
                }
            }
        }
        return initChanged;
    }

    public void update(String id, byte[] resourcesJson) {
        Container c = container(id);
        ProcessState state = c.init().state();
        if (state != ProcessState.RUNNING && state != ProcessState.CREATED) {
            throw TaskException.failedPrecondition("cannot update a " + state.adjective() + " process");
        }
        GuestSpec.parseResources(resourcesJson);
        sandboxAgent().updateContainer(id, resourcesJson);
    }

    public ContainerStatsResponse stats(String id) {
        container(id);
        return sandboxAgent().stats(id);
    }

    /** Processes running in the guest over all containers of the sandbox (containers gone meanwhile count 0). */
    public long guestProcessCount() {
        long total = 0;
        for (String id : containers.keySet()) {
            try {
                total += sandboxAgent().stats(id).getPidsCurrent();
            } catch (RuntimeException e) {
                LOG.debug("no stats for {}: {}", id, e.getMessage());
            }
        }
        return total;
    }

    /** The init pid of a container, for Connect (0 if unknown). */
    public int taskPid(String id) {
        Container c = containers.get(id);
        return c == null ? 0 : c.init().pid();
    }

    public boolean hasContainers() {
        return !containers.isEmpty();
    }

    /**
     * Shutdown: ignored while containers remain (unless {@code now}); otherwise the VM is powered off and
     * the sandbox removed. Returns whether the shim should now exit.
     */
    public boolean shutdown(boolean now) {
        synchronized (lifecycle) {
            if (!containers.isEmpty() && !now) {
                return false;
            }
            close();
            return true;
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (lifecycle) {
            for (Container c : containers.values()) {
                c.init().io().ifPresent(ProcessIo::close);
                c.execs().forEach(e -> e.io().ifPresent(ProcessIo::close));
            }
            if (sandbox != null) {
                sandbox.close();
                sandbox = null;
            }
        }
    }

    private Container container(String id) {
        validId(id);
        Container c = containers.get(id);
        if (c == null) {
            throw TaskException.notFound("container " + id + ": container not created");
        }
        return c;
    }

    private AgentClient sandboxAgent() {
        VmSandbox sb = sandbox;
        if (sb == null || !sb.isBooted()) {
            throw TaskException.failedPrecondition("the sandbox VM is not running");
        }
        return sb.agent();
    }

    private static String validId(String id) {
        return validId("container", id);
    }

    /** containerd's identifier rules (no path traversal, no separators); INVALID_ARGUMENT naming the kind of id. */
    private static String validId(String kind, String id) {
        try {
            return Identifiers.validate(kind, id);
        } catch (IllegalArgumentException e) {
            throw TaskException.invalidArgument(e.getMessage());
        }
    }

    private Map<String, String> binaryEnv(String id) {
        return Map.of("CONTAINER_ID", id, "CONTAINER_NAMESPACE", namespace);
    }

    private static StdioSpec stdioSpec(StdioConfig stdio) {
        return StdioSpec.newBuilder().setStdin(stdio.hasStdin()).setStdout(stdio.hasStdout())
                .setStderr(stdio.hasStderr()).setTerminal(stdio.terminal()).build();
    }

    /** One thread per started process: waits for its exit in the guest, drains its output, reports it. */
    private void watchExit(Container c, TaskProcess p) {
        Thread.ofPlatform().daemon(true).name("exit-" + p.eventId()).start(() -> {
            ExitStatus status = awaitGuestExit(p);
            p.io().ifPresent(io -> {
                if (!io.awaitOutput(OUTPUT_DRAIN)) {
                    LOG.warn("output of {} not drained within {}", p.eventId(), OUTPUT_DRAIN);
                }
            });
            if (p.isInit()) {
                for (TaskProcess exec : c.execs()) {
                    ProcessState s = exec.state();
                    if (s == ProcessState.RUNNING || s == ProcessState.PAUSED) {
                        awaitQuietly(exec.exitFuture(), EXECS_AFTER_INIT);
                    }
                }
            }
            reportExit(p, status);
        });
    }

    /** Publishes the exit, then records it (so Wait returns only what was already published); once per process. */
    private void reportExit(TaskProcess p, ExitStatus status) {
        if (p.claimExitReport()) {
            events.publish(new TaskEvent.Exited(p.containerId(), p.eventId(), p.pid(), status.status(), status.exitedAt()));
            p.exited(status);
        }
    }

    private ExitStatus awaitGuestExit(TaskProcess p) {
        while (true) {
            long asked = System.nanoTime();
            try {
                var r = sandboxAgent().waitProcess(p.containerId(), p.execId(), WAIT_SLICE);
                return new ExitStatus(r.getExitStatus(), Instant.ofEpochSecond(0, r.getExitedAtUnixNano()));
            } catch (TtrpcException e) {
                if (e.code() != Code.DEADLINE_EXCEEDED) {
                    LOG.warn("waiting for {} failed ({}): reporting it killed", p.eventId(), e.getMessage());
                    return ExitStatus.killedNow();
                }
                // A deadline the guest claims long before ours: it answers at once, and asking again at once
                // would spin. Ask again at most once a second.
                long early = WAIT_RETRY_FLOOR.toNanos() - (System.nanoTime() - asked);
                if (early > 0) {
                    LockSupport.parkNanos(early);
                }
            } catch (RuntimeException e) {
                LOG.warn("lost the guest while waiting for {} ({}): reporting it killed", p.eventId(), e.getMessage());
                return ExitStatus.killedNow();
            }
        }
    }

    private static void awaitQuietly(CompletableFuture<?> f, Duration timeout) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the caller decides what a missing exit means
        }
    }

    /** A Delete's answer. */
    public record DeleteResult(int pid, ExitStatus exit) {
    }
}
