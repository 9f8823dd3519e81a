package io.jvmm.task.process;

import io.jvmm.task.TaskException;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.io.StdioConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One process of a task: the container's init or an exec. Owns its stdio copiers; its state is one of its
 * kind's state types and changes only under this object's monitor, where operations and the exit are
 * applied one at a time, so an exit is never reported before the start that preceded it.
 */
public abstract sealed class TaskProcess permits InitProcess, ExecProcess {
    private final String containerId;
    private final String execId;
    private final StdioConfig stdio;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private boolean exitReported;
    private volatile int pid;
    private volatile int guestPid;
    private volatile ProcessIo io;

    TaskProcess(String containerId, String execId, StdioConfig stdio) {
        this.containerId = containerId;
        this.execId = execId;
        this.stdio = stdio;
    }

    public String containerId() {
        return containerId;
    }

    /** Empty for the init. */
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

    /** What State reports. */
    public abstract ProcessStatus status();

    public void io(ProcessIo value) {
        this.io = value;
    }

    public Optional<ProcessIo> io() {
        return Optional.ofNullable(io);
    }

    /** Moves the state to its exited form. */
    abstract void stateExited();

    /**
     * Reports the exit once: {@code publish} runs first (so Wait returns only what was already published),
     * then the process stops. Returns whether this call reported it.
     */
    public synchronized boolean reportExit(ExitStatus status, Consumer<ExitStatus> publish) {
        if (exitReported) {
            return false;
        }
        exitReported = true;
        publish.accept(status);
        stateExited();
        exit.complete(status);
        return true;
    }

    /**
     * Blocks until the process exits; DEADLINE_EXCEEDED when {@code timeout} passes first, cancelled when
     * {@code cancelled} completes first (its caller went away).
     */
    public ExitStatus awaitExit(Optional<Duration> timeout, CompletableFuture<?> cancelled) {
        CompletableFuture<Object> either = CompletableFuture.anyOf(exit, cancelled);
        try {
            Object r = timeout.isPresent() ? either.get(timeout.get().toNanos(), TimeUnit.NANOSECONDS) : either.get();
            if (r instanceof ExitStatus s) {
                return s;
            }
            throw new CancellationException("wait for " + eventId() + " cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            throw new CancellationException(
                    "wait for " + eventId() + " cancelled: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw TaskException.deadlineExceeded("process " + eventId() + " still running at the deadline");
        }
    }

    public CompletableFuture<ExitStatus> exitFuture() {
        return exit;
    }

    public Optional<ExitStatus> exitStatus() {
        return exit.isDone() ? Optional.of(exit.join()) : Optional.empty();
    }
}
