package io.jvmm.task.process;

import io.jvmm.task.TaskException;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.io.StdioConfig;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One process of a task: the container's init ({@code execId} empty) or an exec. Owns its stdio copiers;
 * its state changes only through {@link #transition}, and its exit is set once.
 */
public final class TaskProcess {
    private final String containerId;
    private final String execId;
    private final StdioConfig stdio;
    private final byte[] processJson;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean exitReported = new java.util.concurrent.atomic.AtomicBoolean();
    private ProcessState state = ProcessState.CREATED;
    private volatile int pid;
    private volatile int guestPid;
    private volatile ProcessIo io;

    public TaskProcess(String containerId, String execId, StdioConfig stdio, byte[] processJson) {
        this.containerId = containerId;
        this.execId = execId;
        this.stdio = stdio;
        this.processJson = processJson;
    }

    public String containerId() {
        return containerId;
    }

    public String execId() {
        return execId;
    }

    public boolean isInit() {
        return execId.isEmpty();
    }

    /** The id containerd uses for this process in events: the container's for init, else the exec's. */
    public String eventId() {
        return isInit() ? containerId : execId;
    }

    public StdioConfig stdio() {
        return stdio;
    }

    /** The OCI process spec of an exec (JSON); empty for init. */
    public byte[] processJson() {
        return processJson;
    }

    /**
     * The pid containerd is told: the VMM's, a host process of this sandbox (0 until the process is in the
     * guest). Host tools act on reported pids ({@code nsenter -t}, CRI's per-process fd metrics, NRI), and
     * the guest's own pid is a number of the guest's choosing that names an unrelated process on the host.
     */
    public int pid() {
        return pid;
    }

    /** The process's pid inside the guest, as its agent reported it: for the guest and the logs only. */
    public int guestPid() {
        return guestPid;
    }

    /** The process now exists in the guest (as {@code guestPid}) inside the VMM with host pid {@code vmmPid}. */
    public void inGuest(int guestPid, int vmmPid) {
        this.guestPid = guestPid;
        this.pid = vmmPid;
    }

    public synchronized ProcessState state() {
        return state;
    }

    /** Moves to {@code target} or refuses with FAILED_PRECONDITION; returns the state it left. */
    public synchronized ProcessState transition(ProcessState target, String action) {
        ProcessState before = state;
        state = state.to(target, action);
        return before;
    }

    /** Refuses unless the process is in {@code required}. */
    public synchronized void require(ProcessState required, String action) {
        if (state != required) {
            throw TaskException.failedPrecondition("cannot " + action + " a " + state.adjective() + " process");
        }
    }

    public void io(ProcessIo value) {
        this.io = value;
    }

    public Optional<ProcessIo> io() {
        return Optional.ofNullable(io);
    }

    /** Records the exit (first caller wins) and moves to STOPPED; true if this call recorded it. */
    public boolean exited(ExitStatus status) {
        synchronized (this) {
            if (exit.isDone()) {
                return false;
            }
            if (state.canBecome(ProcessState.STOPPED)) {
                state = ProcessState.STOPPED;
            }
        }
        return exit.complete(status);
    }

    /** True for the one caller that may report this process's exit. */
    public boolean claimExitReport() {
        return exitReported.compareAndSet(false, true);
    }

    public CompletableFuture<ExitStatus> exitFuture() {
        return exit;
    }

    public Optional<ExitStatus> exitStatus() {
        return exit.isDone() ? Optional.of(exit.join()) : Optional.empty();
    }
}
