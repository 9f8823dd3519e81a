package io.jvmm.task.pod;

import io.jvmm.task.PodName;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.TaskException;
import io.jvmm.task.TaskService;
import io.jvmm.task.sandbox.NetworkPlan;
import io.jvmm.task.sandbox.PodResources;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.vmm.VmExit;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * containerd's Sandbox service for the one pod a shim serves, in domain terms: CreateSandbox records the
 * pod, StartSandbox boots its VM (sized from the pod's resources), StopSandbox stops the VM, WaitSandbox
 * waits for that, ShutdownSandbox removes everything. The containers themselves go through the task
 * service, into the same VM. Every call is checked against {@link SandboxState}.
 */
public final class SandboxService {
    private static final Logger LOG = LogManager.getLogger(SandboxService.class);
    /** StopSandbox without a timeout: containerd's default grace for a pod. */
    static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    private final String sandboxId;
    private final TaskService tasks;
    private final SandboxObserver observer;
    private final Object lock = new Object();
    private final CompletableFuture<SandboxExit> exit = new CompletableFuture<>();
    private SandboxState state;
    private Pod pod;
    private Instant createdAt;
    private long pid;
    /** StartSandbox is booting the VM (outside the lock). */
    private boolean starting;

    private volatile boolean stopRequested;

    /**
     * What CreateSandbox told about the pod.
     *
     * @param annotations the pod's annotations (its {@code jvmm.io/*} ones may change its VM: {@code VmAnnotations})
     * @param name the pod's name and Kubernetes namespace as CRI gave them (empty without CRI's pod config)
     */
    public record Pod(
            String id,
            Path bundle,
            String netnsPath,
            PodResources resources,
            String hostname,
            Map<String, String> annotations,
            PodName name) {
        public Pod {
            annotations = Map.copyOf(annotations);
        }

        public Pod(
                String id,
                Path bundle,
                String netnsPath,
                PodResources resources,
                String hostname,
                Map<String, String> annotations) {
            this(id, bundle, netnsPath, resources, hostname, annotations, PodName.NONE);
        }

        public Pod(String id, Path bundle, String netnsPath, PodResources resources, String hostname) {
            this(id, bundle, netnsPath, resources, hostname, Map.of());
        }
    }

    /** How the sandbox ended: 0 when stopped on request or powered off from inside, else 128+signal or the monitor's code. */
    public record SandboxExit(int status, Instant exitedAt) {}

    /** What SandboxStatus reports. */
    public record View(
            String id,
            SandboxState state,
            long pid,
            Instant createdAt,
            Optional<SandboxExit> exit,
            Map<String, String> info) {}

    /** What StartSandbox answers. */
    public record Started(long pid, Instant createdAt) {}

    /** @param sandboxId the one sandbox this shim serves (its group id) */
    public SandboxService(String sandboxId, TaskService tasks) {
        this(sandboxId, tasks, SandboxObserver.NONE);
    }

    /** The same, telling {@code observer} which pod the sandbox runs once CreateSandbox names it. */
    public SandboxService(String sandboxId, TaskService tasks, SandboxObserver observer) {
        this.sandboxId = sandboxId;
        this.tasks = tasks;
        this.observer = SandboxObserver.guarded(observer);
    }

    public void create(Pod request) {
        synchronized (lock) {
            if (!request.id().equals(sandboxId)) {
                throw TaskException.invalidArgument(
                        "sandbox " + request.id() + ": this shim serves sandbox " + sandboxId);
            }
            if (state != null) {
                throw TaskException.alreadyExists("sandbox " + request.id() + ": already exists");
            }
            pod = request;
            createdAt = Instant.now();
            state = SandboxState.CREATED;
            LOG.info(
                    "sandbox {} created (netns {}, resources {})",
                    sandboxId,
                    request.netnsPath().isEmpty() ? "host" : request.netnsPath(),
                    request.resources());
        }
        observer.podCreated(request.name());
    }

    /**
     * Boots the pod's VM. The boot takes seconds and runs outside this service's lock, so Status, Ping and
     * Metrics answer meanwhile (the sandbox reports CREATED until its VM is up); a second Start is refused.
     */
    public Started start(String id) {
        Pod asked;
        NetworkPlan network;
        synchronized (lock) {
            requireSandbox(id);
            if (starting || !state.canBecome(SandboxState.READY)) {
                throw TaskException.failedPrecondition("cannot start sandbox " + id + ": it is "
                        + (starting ? "starting" : state.name().toLowerCase(Locale.ROOT)));
            }
            starting = true;
            asked = pod;
            // CRI leaves the netns path empty for a host-network pod.
            network = pod.netnsPath().isEmpty()
                    ? NetworkPlan.HOST
                    : new NetworkPlan.PodNamespace(Path.of(pod.netnsPath()));
        }
        VmSandbox.VmStatus vm;
        try {
            vm = tasks.sandbox().startSandbox(asked.resources(), asked.annotations(), network);
        } catch (RuntimeException e) {
            synchronized (lock) {
                starting = false;
                if (state == SandboxState.CREATED) {
                    transition(id, SandboxState.STOPPED, "fail to start");
                }
            }
            exit.complete(new SandboxExit(255, Instant.now()));
            throw e;
        }
        synchronized (lock) {
            starting = false;
            if (state != SandboxState.CREATED) {
                // Stopped or shut down while it booted: those calls end the VM (they wait for the boot).
                throw TaskException.failedPrecondition(
                        "sandbox " + id + " was " + state.name().toLowerCase(Locale.ROOT) + " while it started");
            }
            transition(id, SandboxState.READY, "start");
            pid = vm.monitorPid();
        }
        tasks.sandbox().exit().ifPresent(f -> f.thenAccept(this::vmEnded));
        LOG.info(
                "sandbox {} ready: VM pid {}, {} vCPU, {} MiB",
                sandboxId,
                pid,
                vm.size().vcpus(),
                vm.size().memoryMib());
        return new Started(pid, createdAt);
    }

    /** The VM ended (on request or not): the sandbox is stopped and WaitSandbox returns. */
    private void vmEnded(VmExit vmExit) {
        int status = stopRequested || vmExit.guestInitiated()
                ? 0
                : vmExit.monitorExitCode() < 0 ? 128 - vmExit.monitorExitCode() : vmExit.monitorExitCode();
        synchronized (lock) {
            if (state == SandboxState.READY) {
                transition(sandboxId, SandboxState.STOPPED, "stop");
            }
        }
        if (exit.complete(new SandboxExit(status, vmExit.at()))) {
            LOG.info("sandbox {} stopped with status {} ({})", sandboxId, status, vmExit.reason());
        }
    }

    /** Stops the VM within the timeout (none: {@link #DEFAULT_STOP_TIMEOUT}); a stopped sandbox stays stopped. */
    public void stop(String id, Optional<Duration> timeout) {
        synchronized (lock) {
            requireSandbox(id);
            if (state == SandboxState.STOPPED) {
                return;
            }
            transition(id, SandboxState.STOPPED, "stop");
            stopRequested = true;
        }
        tasks.sandbox().stop(timeout.orElse(DEFAULT_STOP_TIMEOUT));
        // A sandbox that never booted has no VM to report its end.
        exit.complete(new SandboxExit(0, Instant.now()));
    }

    /** Blocks until the sandbox has stopped, the caller's deadline passes or it goes away. */
    public SandboxExit await(String id, Optional<Duration> timeout, CompletableFuture<?> cancelled) {
        synchronized (lock) {
            requireSandbox(id);
        }
        try {
            Object r = CompletableFuture.anyOf(exit, cancelled)
                    .get(timeout.orElse(Duration.ofDays(3650)).toMillis(), TimeUnit.MILLISECONDS);
            if (r instanceof SandboxExit e) {
                return e;
            }
            throw new CancellationException("wait for sandbox " + id + " cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            throw new CancellationException(
                    "wait for sandbox " + id + " cancelled: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw TaskException.deadlineExceeded("sandbox " + id + " still running at the deadline");
        }
    }

    public View status(String id, boolean verbose) {
        synchronized (lock) {
            requireSandbox(id);
            Map<String, String> info = new LinkedHashMap<>();
            if (verbose) {
                info.put("bundle", pod.bundle().toString());
                info.put("netns", pod.netnsPath());
                tasks.sandbox().status().ifPresent(vm -> {
                    info.put("vcpus", Integer.toString(vm.size().vcpus()));
                    info.put("memoryMib", Integer.toString(vm.size().memoryMib()));
                    info.put("accel", vm.accel());
                    info.put("vmState", vm.state());
                    info.put("hostPssBytes", Long.toString(vm.hostMemoryBytes()));
                });
            }
            return new View(id, state, pid, createdAt, Optional.ofNullable(exit.getNow(null)), info);
        }
    }

    /** Answers while the shim serves this sandbox. */
    public void ping(String id) {
        synchronized (lock) {
            requireSandbox(id);
        }
    }

    /** The running VM's numbers: host CPU and memory of the VM's processes, and the guest's container processes. */
    public Measured metrics(String id) {
        VmSandbox.VmStatus vm;
        synchronized (lock) {
            requireSandbox(id);
            vm = tasks.sandbox()
                    .status()
                    .orElseThrow(() -> TaskException.failedPrecondition(
                            "sandbox " + id + " is " + state.name().toLowerCase(Locale.ROOT) + ": no VM to measure"));
        }
        return new Measured(vm, tasks.guestProcessCount());
    }

    /** What SandboxMetrics reports. */
    public record Measured(VmSandbox.VmStatus vm, long guestProcesses) {}

    /** Removes the VM (if still running), every container and every mount; the shim may exit afterwards. */
    public void shutdown(String id) {
        synchronized (lock) {
            requireSandbox(id);
            if (state == SandboxState.SHUTDOWN) {
                return;
            }
            transition(id, SandboxState.SHUTDOWN, "shut down");
            stopRequested = true;
        }
        tasks.close();
        exit.complete(new SandboxExit(0, Instant.now()));
    }

    /** Whether containerd created a sandbox here that it has not shut down: then only ShutdownSandbox ends the shim. */
    public boolean holdsShim() {
        synchronized (lock) {
            return state != null && state != SandboxState.SHUTDOWN;
        }
    }

    private void requireSandbox(String id) {
        if (state == null || !id.equals(sandboxId)) {
            throw TaskException.notFound("sandbox " + id + ": not found");
        }
    }

    /** Every change of state after CreateSandbox's first one goes through here, checked by {@link SandboxState}. */
    private void transition(String id, SandboxState target, String action) {
        requireSandbox(id);
        if (!state.canBecome(target)) {
            throw TaskException.failedPrecondition("cannot " + action + " sandbox " + id + ": it is "
                    + state.name().toLowerCase(Locale.ROOT));
        }
        state = target;
    }
}
