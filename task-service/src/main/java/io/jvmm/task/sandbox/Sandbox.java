package io.jvmm.task.sandbox;

import io.jvmm.api.json.JsonObject;
import io.jvmm.task.CreateTask;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.guest.RootDisk;
import io.jvmm.vmm.VmExit;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The one VM of a shim with what belongs to it on the host, as the task layer uses it: the seam between
 * the task services and the VMM ({@link VmSandbox} for real, fakes in unit tests). Its owner (the task
 * layer's {@code SandboxLifecycle}) serialises the calls that change it.
 */
public interface Sandbox extends AutoCloseable {
    /** How a sandbox's VM comes up the first time a container needs it. */
    @FunctionalInterface
    interface BootStep {
        void boot() throws IOException;
    }

    /** A container's root given to the guest: its spec rewritten for the guest, and the disk carrying the root (or empty). */
    record GuestRoot(byte[] guestSpec, RootDisk disk) {}

    /** Booted, and its VM has not ended since. */
    boolean isBooted();

    /** Whether its VM is paused (Pause: its vCPUs stopped). */
    boolean isPaused();

    /** Whether a VM was made (it may have stopped since). */
    boolean hasVm();

    /** The size the runtime configuration gives a VM. */
    VmSize configuredSize();

    /** Whether this sandbox's VMs come from templates (then containers' roots travel as disks where they can: {@link RootTransport}). */
    boolean templated();

    /** The host pid of the VMM, the one host process every process of this sandbox lives in. */
    int vmmPid();

    /**
     * What a pod's {@code jvmm.io/*} annotations change about this sandbox's VM, as the runtime configuration
     * allows ({@link VmAnnotations}); refused with INVALID_ARGUMENT otherwise.
     */
    VmOverrides overrides(Map<String, String> annotations);

    /**
     * Boots the VM at {@code size} with {@code overrides} (templates, kernel parameters) and connects to its
     * agent. {@code kind}: what it will hold (see {@link VmSandbox#boot}).
     */
    void boot(VmSize size, NetworkPlan plan, SandboxKind kind, VmOverrides overrides) throws IOException;

    /** Starts the VM from a container's checkpoint instead; answers its manifest. */
    ContainerCheckpoint.Manifest bootFromCheckpoint(String containerId, ContainerCheckpoint checkpoint)
            throws IOException;

    /** The agent of the running VM. */
    GuestAgent agent();

    CompletableFuture<VmExit> exitFuture();

    /** Completes, naming it, when a helper of the running VM (virtiofsd, vhost-device-vsock) ended. */
    CompletableFuture<String> helperLost();

    /**
     * The one owner of a container's root: assembles it from containerd's mounts, lets {@code boot} bring the
     * VM up, then hands the root to the guest (on the share or as a disk) with the spec's host paths shared.
     * A failure leaves nothing mounted; {@link #releaseRoot} undoes a success.
     */
    GuestRoot prepareRoot(CreateTask request, JsonObject spec, BootStep boot) throws IOException;

    void releaseRoot(String containerId);

    /** Saves the VM with the container's root disk into {@code checkpoint}; the VM is left paused. */
    void checkpoint(String containerId, int initPid, ContainerCheckpoint checkpoint) throws IOException;

    VmSandbox.VmStatus status();

    /** Stops the VM within {@code timeout}, gracefully first; mounts stay until {@link #close}. */
    void stop(Duration timeout);

    void pause(Duration timeout);

    void resume(Duration timeout);

    /**
     * Ends the VM's monitor at once, without waiting for any lock: a boot or restore in progress then fails
     * promptly (it races the monitor's exit) instead of holding its caller until the boot deadline. The
     * caller closes the sandbox afterwards.
     */
    void abortStart();

    /** Stops the VM if it runs and removes everything of the sandbox from the host. */
    @Override
    void close();
}
