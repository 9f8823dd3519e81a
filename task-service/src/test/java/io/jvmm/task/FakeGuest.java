package io.jvmm.task;

import io.jvmm.agent.client.StdioStream;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.guest.RootDisk;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A guest agent in memory: processes are futures the test ends ({@link #exit}) or a signal ends (128+n);
 * every call is recorded; failures are injected per method, and {@link #die} makes it answer nothing more.
 */
public final class FakeGuest implements GuestAgent {
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, CompletableFuture<ExitStatus>> processes = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> lateFailures = new ConcurrentHashMap<>();
    private final List<Consumer<String>> oomListeners = new CopyOnWriteArrayList<>();
    private volatile boolean dead;
    private volatile Runnable onStart = () -> {};
    private volatile CompletableFuture<Void> createGate = CompletableFuture.completedFuture(null);
    private volatile CompletableFuture<Void> deleteGate = CompletableFuture.completedFuture(null);
    private volatile CompletableFuture<Void> statsGate = CompletableFuture.completedFuture(null);
    private int nextPid = 100;

    static String key(String id, String execId) {
        return execId.isEmpty() ? id : id + "/" + execId;
    }

    void failNext(String method, RuntimeException e) {
        failures.put(method, e);
    }

    /** The next call of {@code method} does its work, then fails (a guest slower than the host's deadline). */
    void failNextAfterWork(String method, RuntimeException e) {
        lateFailures.put(method, e);
    }

    /**
     * Every CreateContainer from now on waits (outside this fake's monitor) until {@code gate} completes or
     * the guest dies: a guest that is slow to create, as a large image's first start in the guest is.
     */
    void holdCreates(CompletableFuture<Void> gate) {
        createGate = gate;
    }

    /**
     * Every DeleteContainer from now on waits until {@code gate} completes or the guest dies, and does its
     * work then even when the host stopped waiting (as a real guest does).
     */
    void holdDeletes(CompletableFuture<Void> gate) {
        deleteGate = gate;
    }

    /** Every ContainerStats from now on waits until {@code gate} completes, the guest dies or its deadline passes. */
    void holdStats(CompletableFuture<Void> gate) {
        statsGate = gate;
    }

    /** Runs inside StartContainer, before it answers. */
    void onStart(Runnable r) {
        onStart = r;
    }

    void exit(String id, String execId, int status) {
        processes.get(key(id, execId)).complete(new ExitStatus(status, Instant.ofEpochSecond(1000)));
    }

    boolean exists(String id, String execId) {
        return processes.containsKey(key(id, execId));
    }

    void die() {
        dead = true;
        processes
                .values()
                .forEach(p -> p.completeExceptionally(TaskException.unavailable("agent connection lost", null)));
    }

    void oom(String id) {
        oomListeners.forEach(l -> l.accept(id));
    }

    private void enter(String method, String args) {
        calls.add(method + " " + args);
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(method);
        }
        check(method);
    }

    /** Fails the call as the test asked, or as a dead guest does. */
    private void check(String method) {
        if (dead) {
            throw TaskException.unavailable("agent connection lost during " + method, null);
        }
        RuntimeException e = failures.remove(method);
        if (e != null) {
            throw e;
        }
    }

    /**
     * A held create goes on in the guest when the host's call is interrupted (containerd gave it up): the
     * container then appears once the gate opens, as a real guest's does. The host's call fails as the
     * real client's does when its thread is interrupted.
     */
    @Override
    public int createContainer(String id, byte[] specJson, StdioConfig stdio, RootDisk disk) {
        calls.add("CreateContainer " + id);
        if (!awaitGate(createGate)) {
            createGate.thenRun(() -> created(id));
            throw interrupted("CreateContainer");
        }
        return created(id);
    }

    /** Waits for {@code gate} (or the guest's death); false when the calling thread was interrupted. */
    private boolean awaitGate(CompletableFuture<Void> gate) {
        while (!gate.isDone() && !dead) {
            try {
                gate.get(10, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not yet: look at dead again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        return true;
    }

    /** What the real client's call throws on an interrupted thread (CANCELLED, which GuestErrors makes UNKNOWN). */
    private static TaskException interrupted(String method) {
        return TaskException.of(Code.UNKNOWN, "guest " + method + ": interrupted", null);
    }

    private synchronized int created(String id) {
        check("CreateContainer");
        if (processes.containsKey(id)) {
            throw TaskException.alreadyExists("guest CreateContainer: container " + id + " already exists");
        }
        processes.put(id, new CompletableFuture<>());
        RuntimeException late = lateFailures.remove("CreateContainer");
        if (late != null) {
            throw late;
        }
        return nextPid++;
    }

    @Override
    public void startContainer(String id) {
        enter("StartContainer", id);
        onStart.run();
    }

    @Override
    public synchronized int exec(String id, String execId, byte[] processJson, StdioConfig stdio) {
        enter("ExecProcess", key(id, execId));
        processes.put(key(id, execId), new CompletableFuture<>());
        return nextPid++;
    }

    @Override
    public void signal(String id, String execId, int signal, boolean all) {
        enter("SignalProcess", key(id, execId) + " " + signal);
        CompletableFuture<ExitStatus> p = processes.get(key(id, execId));
        if (p == null) {
            throw TaskException.notFound("guest SignalProcess: no such process");
        }
        if (signal == 9 || signal == 15) {
            p.complete(new ExitStatus(128 + signal, Instant.ofEpochSecond(2000)));
        }
    }

    @Override
    public ExitStatus waitProcess(String id, String execId, Duration timeout) {
        enter("WaitProcess", key(id, execId));
        try {
            return processes.get(key(id, execId)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw TaskException.deadlineExceeded("still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TaskException.unavailable("interrupted", e);
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        }
    }

    @Override
    public void resizePty(String id, String execId, int width, int height) {
        enter("ResizePty", key(id, execId) + " " + width + "x" + height);
    }

    @Override
    public List<Integer> listProcesses(String id) {
        enter("ListProcesses", id);
        List<Integer> live = new ArrayList<>();
        processes.forEach((k, p) -> {
            if ((k.equals(id) || k.startsWith(id + "/")) && !p.isDone()) {
                live.add(k.length());
            }
        });
        return live;
    }

    @Override
    public ContainerStats stats(String id) {
        enter("ContainerStats", id);
        if (!awaitGate(statsGate)) {
            throw interrupted("ContainerStats");
        }
        return new ContainerStats(listProcesses(id).size(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** Waits for the stats gate as long as {@code timeout} and fails as the agent client does after it. */
    @Override
    public ContainerStats stats(String id, Duration timeout) {
        enter("ContainerStats", id);
        try {
            statsGate.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw TaskException.deadlineExceeded("ContainerStats did not answer within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("ContainerStats");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return new ContainerStats(listProcesses(id).size(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public void updateContainer(String id, byte[] resourcesJson) {
        enter("UpdateContainer", id);
    }

    @Override
    public void deleteContainer(String id) {
        enter("DeleteContainer", id);
        if (!awaitGate(deleteGate)) {
            deleteGate.thenRun(() -> deleted(id));
            throw interrupted("DeleteContainer");
        }
        deleted(id);
    }

    private void deleted(String id) {
        check("DeleteContainer");
        CompletableFuture<ExitStatus> init = processes.get(id);
        if (init == null) {
            throw TaskException.notFound("guest DeleteContainer: no such container");
        }
        init.complete(new ExitStatus(137, Instant.ofEpochSecond(3000)));
        processes.keySet().removeIf(k -> k.equals(id) || k.startsWith(id + "/"));
    }

    @Override
    public void deleteProcess(String id, String execId) {
        enter("DeleteProcess", key(id, execId));
        processes.remove(key(id, execId));
    }

    @Override
    public StdioStream openStdio(StdioStream.Kind kind, String id, String execId) throws IOException {
        throw new IOException("the fake guest has no stdio");
    }

    @Override
    public void onOom(Consumer<String> listener) {
        oomListeners.add(listener);
    }
}
