package io.jvmm.task;

import io.jvmm.api.json.JsonObject;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.guest.RootDisk;
import io.jvmm.task.sandbox.ContainerCheckpoint;
import io.jvmm.task.sandbox.NetworkPlan;
import io.jvmm.task.sandbox.Sandbox;
import io.jvmm.task.sandbox.SandboxKind;
import io.jvmm.task.sandbox.VmAnnotations;
import io.jvmm.task.sandbox.VmOverrides;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.vmm.VmExit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A sandbox whose "VM" is a flag and a {@link FakeGuest}; it records what was asked of it. */
public final class FakeSandbox implements Sandbox {
    public final FakeGuest guest = new FakeGuest();
    /** When set, a close waits for it (a VM slow to stop under load); "closed" is recorded after. */
    public volatile CountDownLatch closeGate;
    /** When set, a boot waits for it (a slow boot). */
    public volatile CountDownLatch bootGate;

    final List<String> calls = new CopyOnWriteArrayList<>();
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    /** Completed by a test: a helper of the VM ended. */
    final CompletableFuture<String> helperLost = new CompletableFuture<>();

    private volatile boolean vm;
    private volatile boolean booted;
    private volatile boolean paused;
    volatile IOException bootFailure;
    /** What the last boot was told the sandbox holds. */
    volatile SandboxKind bootedKind;

    volatile IOException rootFailure;
    volatile RuntimeException checkpointFailure;
    private volatile boolean aborted;
    /** The per-pod settings this fake's runtime configuration enables. */
    volatile Set<VmAnnotations.Setting> enabledAnnotations = Set.of();

    @Override
    public boolean isBooted() {
        return booted && !exit.isDone();
    }

    @Override
    public boolean isPaused() {
        return paused;
    }

    @Override
    public boolean hasVm() {
        return vm;
    }

    @Override
    public VmSize configuredSize() {
        return new VmSize(1, 256);
    }

    @Override
    public boolean templated() {
        return false;
    }

    @Override
    public int vmmPid() {
        return 4242;
    }

    @Override
    public VmOverrides overrides(Map<String, String> annotations) {
        return VmAnnotations.parse(annotations, enabledAnnotations, 4, 8192);
    }

    @Override
    public void boot(VmSize size, NetworkPlan plan, SandboxKind kind, VmOverrides overrides) throws IOException {
        bootedKind = kind;
        calls.add("boot " + size.vcpus() + "x" + size.memoryMib()
                + overrides.templates().map(t -> " templates=" + t).orElse("")
                + overrides.kernelParams().map(p -> " kernel=" + p).orElse(""));
        if (bootFailure != null) {
            throw bootFailure;
        }
        vm = true;
        if (bootGate != null) {
            try {
                bootGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (aborted) {
                throw new IOException("the VM's monitor ended while booting");
            }
        }
        booted = true;
    }

    @Override
    public ContainerCheckpoint.Manifest bootFromCheckpoint(String containerId, ContainerCheckpoint checkpoint) {
        throw new UnsupportedOperationException("not in these tests");
    }

    @Override
    public GuestAgent agent() {
        return guest;
    }

    @Override
    public CompletableFuture<VmExit> exitFuture() {
        return exit;
    }

    @Override
    public CompletableFuture<String> helperLost() {
        return helperLost;
    }

    @Override
    public GuestRoot prepareRoot(CreateTask request, JsonObject spec, BootStep boot) throws IOException {
        calls.add("mount " + request.id());
        if (rootFailure != null) {
            calls.add("release " + request.id());
            throw rootFailure;
        }
        try {
            boot.boot();
        } catch (IOException | RuntimeException e) {
            calls.add("release " + request.id());
            throw e;
        }
        return new GuestRoot(("{\"root\":\"" + request.id() + "\"}").getBytes(StandardCharsets.UTF_8), RootDisk.NONE);
    }

    @Override
    public void releaseRoot(String containerId) {
        calls.add("release " + containerId);
    }

    /** Pauses the VM as the real save does, then fails with {@link #checkpointFailure} when set. */
    @Override
    public void checkpoint(String containerId, int initPid, ContainerCheckpoint checkpoint) {
        calls.add("checkpoint " + containerId);
        paused = true;
        if (checkpointFailure != null) {
            throw checkpointFailure;
        }
    }

    @Override
    public VmSandbox.VmStatus status() {
        return new VmSandbox.VmStatus(vmmPid(), configuredSize(), "tcg", "RUNNING", 1, new long[] {0, 0});
    }

    /** The VM ends on its own (QEMU killed): the guest with it. */
    void vmDied() {
        guest.die();
        exit.complete(new VmExit(Instant.now(), false, -9, "killed"));
    }

    @Override
    public void stop(Duration timeout) {
        guest.die();
        exit.complete(new VmExit(Instant.now(), false, -15, "stopped"));
        // Recorded once done, as a real stop returns once the VM is gone: a test that awaits the call then
        // sees the VM down (recorded first, VmLossTest once saw it still booted).
        calls.add("stop");
    }

    @Override
    public void pause(Duration timeout) {
        calls.add("pause");
        paused = true;
    }

    @Override
    public void resume(Duration timeout) {
        calls.add("resume");
        paused = false;
    }

    @Override
    public void abortStart() {
        calls.add("abort");
        aborted = true;
        if (bootGate != null) {
            bootGate.countDown();
        }
    }

    @Override
    public void close() {
        calls.add("close");
        if (closeGate != null) {
            try {
                closeGate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        calls.add("closed");
        booted = false;
        if (!exit.isDone()) {
            guest.die();
            exit.complete(new VmExit(Instant.now(), false, -9, "killed"));
        }
    }
}
