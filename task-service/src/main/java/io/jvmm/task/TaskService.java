package io.jvmm.task;

import io.jvmm.api.Identifiers;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.ExecProcess;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.process.InitProcess;
import io.jvmm.task.process.TaskProcess;
import io.jvmm.task.sandbox.GuestSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * containerd's Task service for the containers of one sandbox, in domain terms. Each operation finds its
 * process and lets the process's state answer it ({@link io.jvmm.task.process.InitState},
 * {@link io.jvmm.task.process.ExecState}); the work is done in the guest ({@link ContainerWork},
 * {@link ExecWork}); containers come to be through {@link ContainerCreation}; the sandbox's VM belongs to
 * {@link SandboxLifecycle}; exits are seen by
 * {@link ExitWatcher}. Events are published under the process's monitor, so they keep the operations' order.
 */
public final class TaskService implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TaskService.class);
    private static final Duration CREATED_EXIT_AFTER_DELETE = Duration.ofSeconds(10);
    /** Under containerd's 3 s for a Shutdown, with room for the answer's way back under load. */
    static final Duration SHUTDOWN_ANSWER = Duration.ofSeconds(2);
    /**
     * What one metrics scrape waits for the guest, over all containers: well inside Prometheus's default
     * scrape timeout (10 s), since the endpoint answers scrapes one at a time.
     */
    public static final Duration GUEST_STATS_BUDGET = Duration.ofSeconds(3);

    private final String namespace;
    private final EventSink events;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();

    private final SandboxLifecycle sandbox;
    private final ExitWatcher exits;
    private final ContainerCreation creation;
    private final WholeVm wholeVm;

    public TaskService(String namespace, SandboxLifecycle.SandboxFactory sandboxes, EventSink events) {
        this.namespace = namespace;
        this.events = events;
        this.sandbox = new SandboxLifecycle(sandboxes, id -> {
            // A container deleted with its guest side left to the VM's end is still watched there: its OOM
            // kill, seen by the guest's watcher a poll after the exit that let containerd delete it, counts.
            if (containers.containsKey(id) || sandbox().owesGuestDelete(id)) {
                events.publish(new TaskEvent.Oom(id));
            }
        });
        this.exits = new ExitWatcher(sandbox::agent, events, sandbox::agentLost);
        this.creation = new ContainerCreation(sandbox, containers, exits, events, this::binaryEnv);
        this.wholeVm = new WholeVm(sandbox, containers.values(), creation.ids(), events, this::work);
    }

    /** The sandbox these containers live in (the Sandbox service starts and stops it). */
    public SandboxLifecycle sandbox() {
        return sandbox;
    }

    /**
     * Create ({@link ContainerCreation}: the VM's boot under the sandbox's monitor, the guest's work outside
     * it and to its end, a Create containerd gave up undone).
     */
    public int create(CreateTask request) {
        return creation.create(validId("container", request.id()), request);
    }

    public int start(String id, String execId) {
        Container c = container(id);
        ContainerWork work = work(c);
        if (execId == null || execId.isEmpty()) {
            InitProcess init = c.init();
            synchronized (init) {
                init.apply(s -> s.start(work));
                events.publish(new TaskEvent.Started(id, init.pid()));
            }
            return init.pid();
        }
        ExecProcess exec = c.exec(execId);
        synchronized (exec) {
            exec.apply(s -> s.start(new ExecWork(sandbox, work, exec, c.init().status())));
            exits.watch(c, exec);
            events.publish(new TaskEvent.ExecStarted(id, execId, exec.pid()));
        }
        return exec.pid();
    }

    public void exec(String id, String execId, StdioConfig stdio, byte[] processJson) {
        Container c = container(id);
        validId("exec", execId);
        GuestSpec.parseProcess(processJson);
        ExecProcess exec = new ExecProcess(c.init(), execId, stdio, processJson);
        c.init().apply(s -> s.exec(work(c), exec));
        events.publish(new TaskEvent.ExecAdded(id, execId));
    }

    /**
     * Removes a stopped (or never started) process; for init, the whole container. A container still being
     * created is one containerd gave up (its Create failed on its side): that Create is undone when it ends,
     * and the answer is NOT_FOUND, as containerd expects of a task that never came to be.
     */
    public DeleteResult delete(String id, String execId) {
        return delete(id, execId, true);
    }

    /**
     * The same; {@code podHoldsShim} false (no Sandbox-service pod keeps this shim) lets the sandbox's last
     * container leave its guest side to the VM's end, which its Shutdown brings next.
     */
    public DeleteResult delete(String id, String execId, boolean podHoldsShim) {
        validId("container", id);
        if (execId == null || execId.isEmpty()) {
            if (creation.giveUp(id)) {
                LOG.info("delete of {} while it is created: its create is given up and undone when it ends", id);
                throw TaskException.notFound("container " + id + ": not created (its create under way is undone)");
            }
            Container c = container(id);
            if (c.isBeingDeleted()) {
                // containerd retries a Delete whose deadline passed; the first goes on to its end.
                throw TaskException.notFound("container " + id + ": already being deleted");
            }
            boolean vmEndsNext = !podHoldsShim && isLast(c);
            return ToCompletion.call("delete " + id, () -> deleteContainer(c, vmEndsNext), () -> {});
        }
        Container c = container(id);
        ExecProcess exec = c.exec(execId);
        ContainerWork work = work(c);
        sandbox.whileRunning(() -> exec.apply(
                s -> s.delete(new ExecWork(sandbox, work, exec, c.init().status()))));
        c.removeExec(execId);
        ExitStatus exit = exec.exitStatus().orElse(new ExitStatus(0, Instant.EPOCH));
        return new DeleteResult(exec.pid(), exit);
    }

    /**
     * The guest's part (which may wait for the guest) runs outside the sandbox's monitor; the host's part
     * (the root given back, the container forgotten) under it, so a Create of the same id or a Shutdown sees
     * the container until it is gone.
     */
    private DeleteResult deleteContainer(Container c, boolean vmEndsNext) {
        InitProcess init = c.init();
        ContainerWork work = vmEndsNext ? work(c).leaveGuestToVmEnd() : work(c);
        sandbox.whileRunning(() -> init.apply(s -> s.delete(work)));
        if (work.deletedBeforeStart()) {
            // The guest ended the never-started init: its exit (seen by the watcher) comes first.
            ExitWatcher.awaitQuietly(init.exitFuture(), CREATED_EXIT_AFTER_DELETE);
            exits.report(init, ExitStatus.killedNow());
        }
        init.io().ifPresent(ProcessIo::close);
        c.execs().forEach(e -> e.io().ifPresent(ProcessIo::close));
        synchronized (sandbox) {
            sandbox.current().ifPresent(sb -> sb.releaseRoot(c.id()));
            containers.remove(c.id());
        }
        ExitStatus exit = init.exitStatus().orElseGet(ExitStatus::killedNow);
        events.publish(new TaskEvent.Deleted(c.id(), init.pid(), exit.status(), exit.exitedAt()));
        return new DeleteResult(init.pid(), exit);
    }

    public ProcessView state(String id, String execId) {
        Container c = container(id);
        TaskProcess p = c.process(execId);
        return new ProcessView(id, p.execId(), c.bundle(), p.pid(), p.status(), p.stdio(), p.exitStatus());
    }

    /**
     * The container's processes as the host sees them: all of them live in the VMM, so the one pid listed
     * is the VMM's (as Kata answers), and none once the guest has no process left in the container (which is
     * how containerd, on restart, tells a task shim with nothing to serve). One entry, not one per guest
     * process: CRI counts each listed pid's open files on the host.
     */
    public List<Integer> pids(String id) {
        container(id);
        if (sandbox.whileRunning(() -> sandbox.agent().listProcesses(id)).isEmpty()) {
            return List.of();
        }
        return List.of(sandbox.booted().vmmPid());
    }

    public void kill(String id, String execId, int signal, boolean all) {
        Container c = container(id);
        if (signal < 1 || signal > 64) {
            throw TaskException.invalidArgument("signal " + signal + " is out of range 1-64");
        }
        ContainerWork work = work(c);
        if (execId == null || execId.isEmpty()) {
            sandbox.whileRunning(() -> c.init().apply(s -> s.kill(work, signal, all)));
        } else {
            ExecProcess exec = c.exec(execId);
            sandbox.whileRunning(() -> exec.apply(
                    s -> s.kill(new ExecWork(sandbox, work, exec, c.init().status()), signal, all)));
        }
    }

    /** Blocks until the process exits (or the timeout passes / the call is cancelled). */
    public ExitStatus await(String id, String execId, Optional<Duration> timeout, CompletableFuture<?> cancelled) {
        return container(id).process(execId).awaitExit(timeout, cancelled);
    }

    public void closeIo(String id, String execId, boolean stdin) {
        TaskProcess p = container(id).process(execId);
        if (stdin) {
            p.io().ifPresent(ProcessIo::closeStdin);
        }
    }

    public void resizePty(String id, String execId, int width, int height) {
        Container c = container(id);
        ContainerWork work = work(c);
        if (execId == null || execId.isEmpty()) {
            c.init().apply(s -> s.resize(work, width, height));
        } else {
            ExecProcess exec = c.exec(execId);
            exec.apply(s -> s.resize(new ExecWork(sandbox, work, exec, c.init().status()), width, height));
        }
    }

    /** Pauses the whole VM: every container of the sandbox pauses with it (and each gets its event). */
    public void pause(String id) {
        wholeVm.pause(container(id));
    }

    public void resume(String id) {
        wholeVm.resume(container(id));
    }

    /** Checkpoint: the container's VM is saved whole (runc's --exit: then its container is killed). */
    public void checkpoint(String id, Path path, boolean exit) {
        wholeVm.checkpoint(container(id), path, exit);
    }

    public void update(String id, byte[] resourcesJson) {
        Container c = container(id);
        GuestSpec.parseResources(resourcesJson);
        c.init().apply(s -> s.update(work(c), resourcesJson));
    }

    public ContainerStats stats(String id) {
        container(id);
        return sandbox.whileRunning(() -> sandbox.agent().stats(id));
    }

    /** Processes running in the guest over all containers of the sandbox (containers gone meanwhile count 0). */
    public long guestProcessCount() {
        return guestStats().values().stream()
                .mapToLong(ContainerStats::pidsCurrent)
                .sum();
    }

    /**
     * Each container's cgroup numbers as the guest reports them now, for the metrics' scrape: containers
     * gone meanwhile, or whose guest does not answer within what is left of {@link #GUEST_STATS_BUDGET},
     * are left out, and so is every container of a paused VM (a scrape does not make it run); none before
     * the VM runs.
     */
    public Map<String, ContainerStats> guestStats() {
        Map<String, ContainerStats> stats = new TreeMap<>();
        long deadline = System.nanoTime() + GUEST_STATS_BUDGET.toNanos();
        for (String id : containers.keySet()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.debug("no stats for {}: the scrape's {} for the guest are spent", id, GUEST_STATS_BUDGET);
                continue;
            }
            try {
                sandbox.unlessPaused(() -> sandbox.agent().stats(id, Duration.ofNanos(left)))
                        .ifPresent(s -> stats.put(id, s));
            } catch (RuntimeException e) {
                LOG.debug("no stats for {}: {}", id, e.getMessage());
            }
        }
        return stats;
    }

    /** The init pid of a container, for Connect (0 if unknown). */
    public int taskPid(String id) {
        Container c = containers.get(id);
        return c == null ? 0 : c.init().pid();
    }

    /**
     * Shutdown: ignored while containers remain or are being created (unless {@code now}); otherwise the VM
     * is powered off and the sandbox removed. Returns whether the shim should now exit. Containers whose
     * delete is under way and Creates containerd gave up do not count: containerd is done with them (its
     * Delete's deadline passed, or it cleans up after a Create that failed on its side), and waiting for
     * them would leave this shim and its VM running with nobody to end them. The answer waits for the
     * close {@link #SHUTDOWN_ANSWER} at most (containerd gives Shutdown 3 s, then reports the shim
     * leaked; under load a VM's stop takes longer): the close goes on, and the shim's exit waits for it
     * ({@link #close} takes the same monitor), as runc's shim answers first and cleans up after.
     */
    public boolean shutdown(boolean now) {
        if (!now && !(containers.values().stream().allMatch(Container::isBeingDeleted) && creation.allGivenUp())) {
            return false;
        }
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Thread.ofPlatform().name("shim-close").start(() -> {
            try {
                close();
                closed.complete(null);
            } catch (RuntimeException e) {
                closed.completeExceptionally(e);
            }
        });
        try {
            closed.get(SHUTDOWN_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.info(
                    "shutdown: the sandbox is still closing after {} s; the shim exits once it is done",
                    SHUTDOWN_ANSWER.toSeconds());
        } catch (ExecutionException e) {
            LOG.warn("shutdown: closing the sandbox failed: {}", e.getCause().getMessage());
        } catch (InterruptedException e) {
            // containerd gave the call up: the shim still exits (after the close), so nothing is left running.
            Thread.currentThread().interrupt();
        }
        return true;
    }

    @Override
    public void close() {
        sandbox.closing();
        synchronized (sandbox) {
            for (Container c : containers.values()) {
                c.init().io().ifPresent(ProcessIo::close);
                c.execs().forEach(e -> e.io().ifPresent(ProcessIo::close));
            }
            sandbox.close();
        }
    }

    /** Whether {@code c} is the only container here and none is being created. */
    private boolean isLast(Container c) {
        return containers.size() == 1
                && containers.get(c.id()) == c
                && creation.ids().isEmpty();
    }

    private ContainerWork work(Container c) {
        return new ContainerWork(sandbox, c, binaryEnv(c.id()));
    }

    private Container container(String id) {
        validId("container", id);
        Container c = containers.get(id);
        if (c == null) {
            throw TaskException.notFound("container " + id + ": container not created");
        }
        return c;
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

    /** A Delete's answer. */
    public record DeleteResult(int pid, ExitStatus exit) {}
}
