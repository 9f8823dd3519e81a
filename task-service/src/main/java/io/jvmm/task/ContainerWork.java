package io.jvmm.task;

import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.ExecProcess;
import io.jvmm.task.process.InitState;
import io.jvmm.task.process.ProcessStatus;
import io.jvmm.task.process.TaskProcess;
import io.jvmm.task.sandbox.ContainerCheckpoint;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What a container's init operations do in the guest and the VM once {@link InitState} allows them. One
 * per operation: it carries the operation's arguments that are not the state's business (a checkpoint's
 * path) and remembers what the state told it (whether a deleted init had started).
 */
final class ContainerWork implements InitState.Work {
    private static final Logger LOG = LogManager.getLogger(ContainerWork.class);
    static final Duration MONITOR_CALL = Duration.ofSeconds(30);

    private final SandboxLifecycle sandbox;
    private final Container container;
    private final Map<String, String> binaryEnv;
    private Path checkpointPath;
    private boolean deletedBeforeStart;
    private boolean guestLeftToVmEnd;

    ContainerWork(SandboxLifecycle sandbox, Container container, Map<String, String> binaryEnv) {
        this.sandbox = sandbox;
        this.container = container;
        this.binaryEnv = binaryEnv;
    }

    ContainerWork checkpointInto(Path path) {
        this.checkpointPath = path;
        return this;
    }

    /**
     * A delete of a container that has exited leaves its guest side (crun's state, its root's mount) to the
     * VM's end, which comes next: the sandbox's last container, with no pod holding the shim, is followed by
     * Shutdown. The guest's DeleteContainer was 0.85 s of a cold {@code ctr run --rm} under TCG
     * (docs/benchmarks.md); a Create before that end does it first ({@link SandboxLifecycle#payGuestDeletes}).
     */
    ContainerWork leaveGuestToVmEnd() {
        this.guestLeftToVmEnd = true;
        return this;
    }

    /** Whether the init deleted by this work never started (its exit is then still to be seen). */
    boolean deletedBeforeStart() {
        return deletedBeforeStart;
    }

    private String id() {
        return container.id();
    }

    @Override
    public void start() {
        sandbox.agent().startContainer(id());
    }

    /** The exec is only recorded: it starts in the guest with its own Start. */
    @Override
    public void exec(ExecProcess exec) {
        container.addExec(exec);
    }

    @Override
    public void signal(int signal, boolean all) {
        sandbox.agent().signal(id(), "", signal, all);
    }

    @Override
    public void pauseVm() {
        sandbox.booted().pause(MONITOR_CALL);
    }

    @Override
    public void resumeVm() {
        sandbox.booted().resume(MONITOR_CALL);
    }

    @Override
    public void update(byte[] resourcesJson) {
        sandbox.agent().updateContainer(id(), resourcesJson);
    }

    /**
     * Refused while execs run: a restore brings back the container's init, and an exec would come back
     * unknown to the new shim. A task containerd paused first stays paused until its Resume.
     */
    @Override
    public void checkpoint(boolean paused, boolean exit) {
        if (container.execs().stream()
                .anyMatch(e -> e.status() == ProcessStatus.RUNNING || e.status() == ProcessStatus.PAUSED)) {
            throw TaskException.failedPrecondition(
                    "container " + id() + " cannot be checkpointed while execs run in it");
        }
        var sb = sandbox.booted();
        try {
            sb.checkpoint(id(), container.init().guestPid(), new ContainerCheckpoint(checkpointPath));
        } catch (IOException | RuntimeException e) {
            // The save paused the VM: a failed one (a full disk, a monitor error) must not leave it so.
            if (!paused && sb.isPaused()) {
                try {
                    sb.resume(MONITOR_CALL);
                } catch (RuntimeException resume) {
                    e.addSuppressed(resume);
                }
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw TaskException.internal(
                    "cannot checkpoint " + id() + " into " + checkpointPath + ": " + e.getMessage(), e);
        }
        if (!paused || exit) {
            sb.resume(MONITOR_CALL);
        }
        if (exit) {
            sandbox.agent().signal(id(), "", 9, true);
        }
    }

    @Override
    public void resize(int width, int height) {
        if (!container.init().stdio().terminal()) {
            throw TaskException.failedPrecondition("process " + id() + " has no terminal");
        }
        sandbox.agent().resizePty(id(), "", width, height);
    }

    /** The guest removes the container; a VM that stopped has nothing of it left, and NOT_FOUND means the same. */
    @Override
    public void delete(boolean started) {
        deletedBeforeStart = !started;
        container.markBeingDeleted();
        if (!sandbox.isBooted()) {
            return;
        }
        if (guestLeftToVmEnd && started) {
            sandbox.oweGuestDelete(id());
            LOG.debug("{} deleted: its guest side goes with the VM", id());
            return;
        }
        try {
            sandbox.agent().deleteContainer(id());
        } catch (TaskException e) {
            if (e.statusCode() == Code.UNAVAILABLE || e.statusCode() == Code.FAILED_PRECONDITION) {
                LOG.warn("guest gone while deleting {}: {}", id(), e.getMessage());
            } else if (e.statusCode() != Code.NOT_FOUND) {
                throw e;
            }
        }
    }

    /** Starts an exec in the guest with its stdio; a stdio that cannot be connected ends the exec again. */
    void startExec(ExecProcess exec) {
        GuestAgent agent = sandbox.agent();
        exec.inGuest(
                agent.exec(id(), exec.execId(), exec.processJson(), exec.stdio()),
                sandbox.booted().vmmPid());
        LOG.debug("exec {} of {} started in the guest as pid {}", exec.execId(), id(), exec.guestPid());
        connectStdio(agent, exec, binaryEnv, () -> agent.signal(id(), exec.execId(), 9, false));
    }

    /**
     * Connects a process's stdio to its streams in the guest; when that fails, {@code undo} ends the
     * process there again and the caller gets an internal error naming the process.
     */
    static void connectStdio(GuestAgent agent, TaskProcess p, Map<String, String> binaryEnv, Runnable undo) {
        String label = p.isInit() ? p.containerId() : p.containerId() + "-" + p.execId();
        try {
            p.io(ProcessIo.start(
                    label, p.stdio(), kind -> agent.openStdio(kind, p.containerId(), p.execId()), binaryEnv));
        } catch (IOException | RuntimeException e) {
            undo.run();
            throw TaskException.internal(
                    "cannot connect the stdio of " + (p.isInit() ? p.containerId() : "exec " + p.execId()) + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
