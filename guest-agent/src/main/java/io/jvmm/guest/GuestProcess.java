package io.jvmm.guest;

import io.jvmm.guest.sys.GuestSyscalls;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A container's init process or an exec'd process: its pid, stdio and exit. */
final class GuestProcess {
    /** How long a finished process's output may take to reach the host before its exit is reported anyway. */
    private static final long DRAIN_SECONDS = 5;

    private static final AgentLog LOG = AgentLog.of(GuestProcess.class);

    final String containerId;
    final String execId;
    final StdioPipes stdio;
    private final CompletableFuture<Exit> exit = new CompletableFuture<>();
    private ProcessState state = ProcessState.CREATED;
    private int pid;
    private volatile Runnable beforeExitReported = () -> {};

    record Exit(int status, Instant at) {}

    GuestProcess(String containerId, String execId, StdioPipes stdio) {
        this.containerId = containerId;
        this.execId = execId;
        this.stdio = stdio;
    }

    synchronized int pid() {
        return pid;
    }

    synchronized ProcessState state() {
        return state;
    }

    /** The process exists (crun create / exec returned its pid): reap it when it exits. */
    synchronized void created(int newPid) {
        this.pid = newPid;
        Thread.ofPlatform().name("reaper-" + newPid).daemon(true).start(this::reap);
    }

    /**
     * Runs {@code check} once the process has exited and before anyone learns of it: what the exit may have
     * made true (an OOM kill) reaches the host first, while the VM surely still runs.
     */
    void beforeExitReported(Runnable check) {
        this.beforeExitReported = check;
    }

    synchronized void markRunning(String what) {
        state = state.to(ProcessState.RUNNING, what);
    }

    private void reap() {
        try {
            int status = GuestSyscalls.waitForExit(pid);
            synchronized (this) {
                state = state.to(ProcessState.EXITED, "exit");
            }
            Instant at = Instant.now();
            try {
                beforeExitReported.run();
            } catch (RuntimeException e) {
                LOG.warn("before the exit of {0}: {1}", containerId, e.toString());
            }
            exit.complete(new Exit(status, at));
        } catch (IOException e) {
            exit.completeExceptionally(e);
        }
    }

    boolean hasExited() {
        return exit.isDone();
    }

    /** Waits for the exit and then for the output to be drained (bounded), as containerd expects. */
    Exit awaitExit() throws Exception {
        Exit result = exit.get();
        stdio.processExited();
        try {
            CompletableFuture.allOf(stdio.stdoutDrained, stdio.stderrDrained).get(DRAIN_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // A descendant still holds the output open; report the exit anyway.
        }
        return result;
    }

    void signal(int signal) throws IOException {
        if (hasExited()) {
            throw Refusal.notFound("process already finished");
        }
        GuestSyscalls.kill(pid(), signal);
    }
}
