package io.jvmm.task;

import io.jvmm.api.GroupAnnotations;
import io.jvmm.api.json.JsonObject;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.sandbox.ContainerCheckpoint;
import io.jvmm.task.sandbox.GuestSpec;
import io.jvmm.task.sandbox.NetworkPlan;
import io.jvmm.task.sandbox.PauseContainer;
import io.jvmm.task.sandbox.PodResources;
import io.jvmm.task.sandbox.PodSizing;
import io.jvmm.task.sandbox.Sandbox;
import io.jvmm.task.sandbox.SandboxKind;
import io.jvmm.task.sandbox.VmOverrides;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.ttrpc.Code;
import io.jvmm.vmm.VmExit;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The life of a shim's one sandbox: made when the first container (or StartSandbox) needs it, its VM booted
 * or restored once, stopped by StopSandbox, removed on shutdown. Its own monitor serialises everything that
 * changes the sandbox or the set of containers in it (the task service takes it for create, delete, pause
 * and checkpoint); readers of the current sandbox (exit watchers, status) never wait on it.
 */
public final class SandboxLifecycle {
    private static final Logger LOG = LogManager.getLogger(SandboxLifecycle.class);
    /** How long a VM whose agent or helper is lost gets to stop (the agent cannot help: the power button, then signals). */
    private static final Duration LOST_STOP = Duration.ofSeconds(10);

    /** Makes the sandbox (state directory and share, not yet the VM) when the first container needs it. */
    @FunctionalInterface
    public interface SandboxFactory {
        Sandbox prepare() throws IOException;
    }

    private final SandboxFactory factory;
    private final Consumer<String> oomListener;
    private volatile Sandbox sandbox;
    private volatile boolean closing;
    /** The Sandbox service stopped the pod: its VM is gone for good and no container may be created. */
    private volatile boolean stopped;

    private final AtomicBoolean lostOnce = new AtomicBoolean();
    private final Set<String> guestDeletesOwed = ConcurrentHashMap.newKeySet();

    /** {@code oomListener}: told the container id of every OOM kill in the guest. */
    SandboxLifecycle(SandboxFactory factory, Consumer<String> oomListener) {
        this.factory = factory;
        this.oomListener = oomListener;
    }

    /** The sandbox, made now if there is none yet. */
    synchronized Sandbox prepared() {
        if (stopped) {
            throw TaskException.failedPrecondition("the sandbox is stopped");
        }
        if (sandbox == null) {
            try {
                sandbox = factory.prepare();
            } catch (IOException e) {
                throw TaskException.internal("cannot prepare the sandbox: " + e.getMessage(), e);
            }
        }
        return sandbox;
    }

    /**
     * The first Create boots the VM: a pod's sandbox container sizes it; the first container's spec says
     * which network the VM gets (the pod's namespace, the host's, or none).
     */
    synchronized void bootFor(JsonObject spec) throws IOException {
        Sandbox sb = prepared();
        if (sb.isBooted()) {
            return;
        }
        if (sb.hasVm()) {
            throw TaskException.failedPrecondition("the sandbox VM has stopped: no container can be created in it");
        }
        // A pod's settings ride on its sandbox container's annotations (containerd's pod_annotations), a lone
        // container's on its own.
        VmOverrides overrides = sb.overrides(GuestSpec.annotations(spec));
        VmSize configured = overrides.size(sb.configuredSize());
        VmSize size = PauseContainer.of(spec)
                .map(p -> PodSizing.size(p.resources(), configured))
                .orElse(configured);
        // What the sandbox holds decides how roots reach a VM from a template (on disks where they can).
        // A group's first container is not alone: the others join its VM with binds of their own.
        SandboxKind kind = PauseContainer.of(spec).isPresent()
                ? SandboxKind.POD
                : GuestSpec.hasHostBinds(spec)
                                || !GroupAnnotations.of(GuestSpec.annotations(spec))
                                        .isEmpty()
                        ? SandboxKind.LONE
                        : SandboxKind.LONE_ROOT_ONLY;
        start(sb, () -> {
            sb.boot(size, PauseContainer.networkOf(spec), kind, overrides);
            return null;
        });
    }

    /**
     * StartSandbox: boots the VM at {@code size} before any container exists, wired into the pod's network
     * namespace when there is one. Returns the VM's status (the monitor's pid is the sandbox's pid).
     */
    public synchronized VmSandbox.VmStatus startSandbox(
            PodResources resources, Map<String, String> annotations, NetworkPlan network) {
        Sandbox sb = prepared();
        if (sb.hasVm()) {
            throw TaskException.failedPrecondition("the sandbox VM was already started");
        }
        VmOverrides overrides = sb.overrides(annotations);
        VmSize size = PodSizing.size(resources, overrides.size(sb.configuredSize()));
        try {
            start(sb, () -> {
                sb.boot(size, network, SandboxKind.POD, overrides);
                return null;
            });
        } catch (IOException e) {
            throw TaskException.internal("cannot boot the sandbox VM: " + e.getMessage(), e);
        }
        return sb.status();
    }

    /** Starts the VM from a container's checkpoint; the sandbox must have no VM yet (a checkpoint brings its own). */
    synchronized ContainerCheckpoint.Manifest restore(String id, ContainerCheckpoint checkpoint) {
        Sandbox sb = prepared();
        if (sb.hasVm()) {
            throw TaskException.failedPrecondition(
                    "container " + id + ": a checkpoint is restored into a sandbox of its own");
        }
        try {
            return start(sb, () -> sb.bootFromCheckpoint(id, checkpoint));
        } catch (IOException e) {
            throw TaskException.internal(
                    "cannot restore " + id + " from " + checkpoint.dir() + ": " + e.getMessage(), e);
        }
    }

    /** How a sandbox's VM comes up: booted, or restored from a checkpoint. */
    private interface VmStart<T> {
        T start() throws IOException;
    }

    /** Starts the VM one way or the other; a failure closes the sandbox; success wires its OOMs and exit. */
    private <T> T start(Sandbox sb, VmStart<T> how) throws IOException {
        T result;
        try {
            result = how.start();
        } catch (IOException | RuntimeException e) {
            LOG.error("sandbox VM failed to boot: {}", e.getMessage());
            sb.close();
            sandbox = null;
            throw e;
        }
        sb.agent().onOom(oomListener);
        sb.helperLost().thenAccept(reason -> lost(sb, reason + ": the VM cannot go on without it"));
        sb.exitFuture().thenAccept(exit -> {
            if (!closing && !stopped) {
                LOG.warn("sandbox VM exited unexpectedly: {}; its processes are reported killed", exit.reason());
            }
        });
        return result;
    }

    /**
     * Runs {@code call} (a guest call of Kill, Delete, Pids, Stats) with the VM running: a paused VM is
     * resumed for it and paused again, as runc's shim signals, deletes and inspects a frozen container (a
     * paused VM's guest runs no code, so the call would wait for the agent's deadline and fail). Under this
     * monitor, so no Pause or Resume interleaves.
     */
    <T> T whileRunning(Supplier<T> call) {
        Sandbox sb = sandbox;
        if (sb == null || !sb.isPaused()) {
            return call.get();
        }
        synchronized (this) {
            sb = sandbox;
            if (sb == null || !sb.isPaused()) {
                return call.get();
            }
            sb.resume(ContainerWork.MONITOR_CALL);
            try {
                return call.get();
            } finally {
                sb.pause(ContainerWork.MONITOR_CALL);
            }
        }
    }

    /**
     * Runs {@code call} (an observer's guest call: the metrics' scrape) unless the VM is paused, and then
     * answers empty: unlike Kill or Delete, looking must not make a frozen container run. A Pause that comes
     * in between makes the call wait for its own deadline.
     */
    <T> Optional<T> unlessPaused(Supplier<T> call) {
        Sandbox sb = sandbox;
        if (sb != null && sb.isPaused()) {
            return Optional.empty();
        }
        return Optional.of(call.get());
    }

    void whileRunning(Runnable call) {
        whileRunning(() -> {
            call.run();
            return null;
        });
    }

    /**
     * The agent's connection broke while the VM runs (vhost-device-vsock or the serial mux gone): nothing
     * reaches the guest's processes any more, so the VM is stopped rather than left running unseen.
     */
    void agentLost(String reason) {
        Sandbox sb = sandbox;
        if (sb != null) {
            lost(sb, "the guest agent's connection is lost (" + reason + ")");
        }
    }

    /**
     * Part of a running VM is gone for good (its agent's connection, a helper): the VM is stopped, in the
     * background, with the reason in the log; its processes are reported killed by their watchers. Once
     * per VM: neither vhost-user-fs nor vhost-user-vsock can be reconnected to a running guest, and a
     * guest whose agent answers nothing cannot be told to reconnect.
     */
    private void lost(Sandbox sb, String reason) {
        if (sb != sandbox || closing || stopped || !sb.isBooted() || !lostOnce.compareAndSet(false, true)) {
            return;
        }
        LOG.warn("{}: stopping the VM, its processes are reported killed", reason);
        Thread.ofPlatform().daemon(true).name("vm-lost").start(() -> {
            synchronized (this) {
                if (sandbox == sb && !closing) {
                    sb.stop(LOST_STOP);
                }
            }
        });
    }

    /** The running VM's agent; FAILED_PRECONDITION when no VM runs. */
    GuestAgent agent() {
        return booted().agent();
    }

    /** The sandbox whose VM runs; FAILED_PRECONDITION when none does. */
    Sandbox booted() {
        Sandbox sb = sandbox;
        if (sb == null || !sb.isBooted()) {
            throw TaskException.failedPrecondition("the sandbox VM is not running");
        }
        return sb;
    }

    /** Whether a VM runs now. */
    boolean isBooted() {
        Sandbox sb = sandbox;
        return sb != null && sb.isBooted();
    }

    /** The current sandbox, if one was made. */
    Optional<Sandbox> current() {
        return Optional.ofNullable(sandbox);
    }

    /** When the sandbox's VM ended (for whatever reason); empty when it never booted. */
    public Optional<CompletableFuture<VmExit>> exit() {
        Sandbox sb = sandbox;
        return sb == null || !sb.hasVm() ? Optional.empty() : Optional.of(sb.exitFuture());
    }

    /** The running VM's status, if it runs. */
    public Optional<VmSandbox.VmStatus> status() {
        Sandbox sb = sandbox;
        return sb == null || !sb.isBooted() ? Optional.empty() : Optional.of(sb.status());
    }

    /**
     * StopSandbox: the VM is stopped within {@code timeout} (gracefully first); the containers still in it
     * are reported killed by their watchers; no container can be created afterwards. Idempotent.
     */
    public synchronized void stop(Duration timeout) {
        stopped = true;
        Sandbox sb = sandbox;
        if (sb != null) {
            sb.stop(timeout);
        }
    }

    /**
     * A container whose guest side was left to the VM's end ({@link ContainerWork#leaveGuestToVmEnd}): a
     * Create that comes before that end (containerd sends Shutdown right after a lone container's Delete, so
     * only a client of its own could) removes it first.
     */
    void oweGuestDelete(String id) {
        guestDeletesOwed.add(id);
    }

    /** Whether {@code id}'s guest side is still in the guest, left there by its Delete. */
    boolean owesGuestDelete(String id) {
        return guestDeletesOwed.contains(id);
    }

    /** Removes what {@link #oweGuestDelete} left in the guest; a container the guest no longer has is fine. */
    void payGuestDeletes(GuestAgent agent) {
        for (String id : List.copyOf(guestDeletesOwed)) {
            if (!guestDeletesOwed.remove(id)) {
                continue; // another Create pays it
            }
            try {
                agent.deleteContainer(id);
            } catch (TaskException e) {
                if (e.statusCode() != Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }

    /** Stops the VM if it runs and removes the sandbox from the host. */
    public synchronized void close() {
        closing = true;
        Sandbox sb = sandbox;
        if (sb != null) {
            sb.close();
            sandbox = null;
        }
    }

    /** Whether the shim is closing (or closed): nothing new may be registered. */
    boolean isClosing() {
        return closing;
    }

    /**
     * Marks the shim as closing before it takes the monitor, so an exit seen meanwhile is not called
     * unexpected; a VM still booting (or restoring) under the monitor is ended, so that boot fails now and
     * the close that follows does not wait for the boot's deadline (minutes under TCG).
     */
    void closing() {
        closing = true;
        Sandbox sb = sandbox;
        if (sb != null && sb.hasVm() && !sb.isBooted() && !sb.exitFuture().isDone()) {
            LOG.info("closing while the sandbox VM starts: ending it");
            sb.abortStart();
        }
    }
}
