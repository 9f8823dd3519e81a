package io.jvmm.task.sandbox;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.api.json.JsonObject;
import io.jvmm.task.CreateTask;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.TaskException;
import io.jvmm.task.guest.AgentGuest;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.ShutdownLadder;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmExit;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.qemu.QemuVm;
import io.jvmm.vmm.qemu.QemuVm.CheckpointFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one VM of a shim and everything on the host that belongs to it: its state directory (sockets,
 * logs, the record {@code delete} reads after a crash), the virtiofs share with each container's root,
 * the VM and the agent connection. The shim's task service is its only owner.
 */
public final class VmSandbox implements Sandbox {
    private static final Logger LOG = LogManager.getLogger(VmSandbox.class);
    private static final Duration POWER_OFF_GRACE = Duration.ofSeconds(2);

    private final String sandboxId;
    /** The runtime's settings, as this sandbox's pod changed them at boot ({@link VmOverrides}). */
    private volatile SandboxSettings settings;

    private final Path stateDir;
    private final TemplateMaker templateMaker;
    private final SandboxObserver observer;
    private ShareTree share;
    private ContainerRoots roots;
    private volatile VirtualMachine vm;
    private volatile AgentClient agent;
    private volatile GuestAgent guest;
    private PodNetwork network;
    private volatile RootTransport transport = RootTransport.SHARE;

    private VmSandbox(
            String sandboxId,
            SandboxSettings settings,
            Path stateDir,
            TemplateMaker templateMaker,
            SandboxObserver observer) {
        this.sandboxId = sandboxId;
        this.settings = settings;
        this.stateDir = stateDir;
        this.templateMaker = templateMaker;
        this.observer = observer;
    }

    /** Creates the state directory (the shim's alone) and the share's tree ({@link ShareTree}). */
    public static VmSandbox prepare(SandboxSettings settings, String namespace, String sandboxId) throws IOException {
        return prepare(settings, namespace, sandboxId, TemplateMaker.NONE, SandboxObserver.NONE);
    }

    /**
     * The same, with {@code templateMaker} making a missing template while this sandbox boots cold, and
     * {@code observer} told how the VM starts and stops and of every agent call.
     */
    public static VmSandbox prepare(
            SandboxSettings settings,
            String namespace,
            String sandboxId,
            TemplateMaker templateMaker,
            SandboxObserver observer)
            throws IOException {
        Path dir = SandboxDirs.stateDir(settings, namespace, sandboxId);
        VmSandbox sandbox = new VmSandbox(sandboxId, settings, dir, templateMaker, SandboxObserver.guarded(observer));
        StateRoot.createPrivate(settings.stateRoot(), dir);
        try {
            sandbox.share = ShareTree.create(dir);
            sandbox.roots = new ContainerRoots(sandbox.share, dir);
            new SandboxRecord(ProcessHandle.current().pid(), List.of(), "").write(dir);
        } catch (IOException e) {
            sandbox.close();
            throw e;
        }
        return sandbox;
    }

    @Override
    public boolean isBooted() {
        return agent != null && (vm == null || !vm.exitFuture().isDone());
    }

    @Override
    public boolean isPaused() {
        VirtualMachine v = vm;
        return v != null && v.state() == VmState.PAUSED;
    }

    @Override
    public boolean hasVm() {
        return vm != null;
    }

    @Override
    public VmSize configuredSize() {
        return VmSize.of(settings);
    }

    @Override
    public boolean templated() {
        return settings.templates() && settings.vmm() == VmmType.QEMU;
    }

    @Override
    public int vmmPid() {
        if (vm == null) {
            throw new IllegalStateException("sandbox " + sandboxId + " has no VM");
        }
        return Math.toIntExact(vm.monitorPid());
    }

    /** Boots the VM of the configured size, without a network card, and connects to its agent. */
    public void boot() throws IOException {
        boot(VmSize.of(settings), NetworkPlan.ISOLATED, SandboxKind.LONE, VmOverrides.NONE);
    }

    @Override
    public VmOverrides overrides(Map<String, String> annotations) {
        return VmAnnotations.parse(
                annotations,
                settings.enabledAnnotations(),
                Runtime.getRuntime().availableProcessors(),
                PodSizing.hostMemoryMib());
    }

    /**
     * Boots the VM and connects to its agent; then tells the guest the time, its hostname and some entropy.
     * Networks and the root's way into the guest as {@link VmLaunch} plans them.
     */
    @Override
    public void boot(VmSize size, NetworkPlan plan, SandboxKind kind, VmOverrides overrides) throws IOException {
        Admission.requireMemory(size.memoryMib(), Admission.hostMemory());
        settings = overrides.applyTo(settings);
        // A lone container's root (the container is the sandbox) as a disk: asked for, and room for its image.
        boolean diskAsked = settings.loneRootDisk() && settings.vmm() == VmmType.QEMU;
        // Measured (a walk of the whole root) only where a disk may be given: asked for, or templates on.
        boolean diskFits =
                kind == SandboxKind.LONE_ROOT_ONLY && (diskAsked || templated()) && roots.loneDiskFits(sandboxId);
        VmLaunch launch = VmLaunch.plan(
                settings,
                stateDir,
                share.exported(),
                size,
                plan,
                templated(),
                kind,
                diskAsked,
                diskFits,
                templateMaker);
        network = launch.network().orElse(null);
        transport = launch.transport();
        boolean fromTemplate = launch.fromTemplate();
        String guestNetwork = launch.guestNetwork();
        VmConfig config = launch.config();
        long begin = System.nanoTime();
        if (fromTemplate) {
            vm = settings.vmm()
                    .restore(config, MonitorLauncher.PROCESS, launch.template().orElseThrow());
        } else if (transport == RootTransport.LONE_DISK) {
            // No vhost-user device: the container can be checkpointed (docs/snapshots.md).
            vm = settings.vmm().createCheckpointable(config, MonitorLauncher.PROCESS);
        } else {
            vm = settings.vmm().create(config, MonitorLauncher.PROCESS);
        }
        vm.start(settings.bootTimeout());
        long started = System.nanoTime();
        recordProcesses();
        agent = fromTemplate
                ? GuestHandshake.restored(
                        vm, sandboxId, settings.bootTimeout(), transport.hasShare() ? "jvmm" : "", guestNetwork)
                : GuestHandshake.booted(vm, sandboxId, settings.bootTimeout());
        guest = new AgentGuest(agent, observer);
        long ready = System.nanoTime();
        observer.vmStarted(
                fromTemplate ? SandboxObserver.Start.TEMPLATE : SandboxObserver.Start.BOOT,
                started - begin,
                ready - started);
        if (templated()) {
            observer.templateLookup(fromTemplate);
        }
        LOG.info(
                "sandbox {} {}: VM pid {}, monitor up in {} ms, agent ready {} ms later ({})",
                sandboxId,
                fromTemplate ? "restored from a template" : "booted",
                vm.monitorPid(),
                (started - begin) / 1_000_000,
                (ready - started) / 1_000_000,
                config.accel());
    }

    private void recordProcesses() throws IOException {
        new SandboxRecord(
                        ProcessHandle.current().pid(),
                        vm.processIds().stream()
                                .map(SandboxRecord.ProcessRecord::of)
                                .toList(),
                        vm.cgroupPath().map(Path::toString).orElse(""))
                .write(stateDir);
    }

    @Override
    public GuestAgent agent() {
        GuestAgent g = guest;
        if (g == null) {
            throw TaskException.failedPrecondition("sandbox " + sandboxId + " is not running");
        }
        return g;
    }

    @Override
    public CompletableFuture<VmExit> exitFuture() {
        return vm.exitFuture();
    }

    @Override
    public CompletableFuture<String> helperLost() {
        return vm.helperLost();
    }

    @Override
    public GuestRoot prepareRoot(CreateTask request, JsonObject spec, BootStep boot) throws IOException {
        return roots.prepare(request, spec, boot, () -> transport, () -> vm);
    }

    /**
     * Saves this sandbox's VM, memory and all, and its container's root disk into {@code checkpoint}; the VM
     * is left paused. Only a sandbox whose container has its root on a disk and no share: QEMU cannot save
     * a VM with vhost-user devices (docs/snapshots.md).
     */
    @Override
    public void checkpoint(String containerId, int initPid, ContainerCheckpoint checkpoint) throws IOException {
        if (transport != RootTransport.LONE_DISK || !(vm instanceof QemuVm qemu)) {
            throw TaskException.failedPrecondition("container " + containerId + " cannot be checkpointed: its VM"
                    + " has the virtiofs share, which QEMU cannot save; only a lone container with its root on a disk"
                    + " can be (no bind mounts, no group, no network card, loneRootDisk on in the runtime"
                    + " configuration, room for the image in the state root)");
        }
        CheckpointSave.save(qemu, roots.diskImage(containerId), containerId, initPid, checkpoint, settings);
    }

    /**
     * Starts this sandbox's VM from a container's checkpoint instead of booting it: the guest runs on from
     * where it was saved, its container with it. Refused before anything starts when the checkpoint is of
     * another container id, guest image, kernel arguments or accelerator.
     */
    @Override
    public ContainerCheckpoint.Manifest bootFromCheckpoint(String containerId, ContainerCheckpoint checkpoint)
            throws IOException {
        Accel accel = AccelChoice.resolve(settings);
        ContainerCheckpoint.Manifest m = CheckpointCompatibility.verified(checkpoint, containerId, settings, accel);
        Admission.requireMemory(m.memoryMib(), Admission.hostMemory());
        Path image = roots.diskImage(containerId);
        Admission.requireSpace(image.getParent(), m.rootDiskBytes(), "the checkpoint's root disk");
        checkpoint.restoreRootDisk(image, m.rootDiskBytes());
        VmConfig config = VmLaunch.restoring(settings, stateDir, m, accel);
        transport = RootTransport.LONE_DISK;
        long begin = System.nanoTime();
        vm = QemuVm.fromCheckpoint(
                config,
                accel == Accel.KVM,
                new CheckpointFiles(checkpoint.state(), Optional.of(image), m.rootDiskSerial()));
        vm.start(settings.bootTimeout());
        long started = System.nanoTime();
        recordProcesses();
        agent = GuestHandshake.restored(vm, sandboxId, settings.bootTimeout(), "", "");
        guest = new AgentGuest(agent, observer);
        observer.vmStarted(SandboxObserver.Start.CHECKPOINT, started - begin, System.nanoTime() - started);
        LOG.info(
                "sandbox {} restored from checkpoint {} in {} ms",
                sandboxId,
                checkpoint.dir(),
                (System.nanoTime() - begin) / 1_000_000);
        return m;
    }

    @Override
    public void releaseRoot(String containerId) {
        roots.release(containerId, () -> vm);
    }

    /** The VM as it runs: its monitor's pid, size and accelerator, and what it uses on the host. */
    @Override
    public VmStatus status() {
        if (vm == null) {
            throw new IllegalStateException("sandbox " + sandboxId + " has no VM");
        }
        VmConfig c = vm.config();
        return new VmStatus(
                vm.monitorPid(),
                new VmSize(c.vcpus(), c.memoryMib()),
                c.accel().name().toLowerCase(Locale.ROOT),
                vm.state().name(),
                vm.hostMemoryPssBytes(),
                vm.hostCpuMicros());
    }

    /** What {@link #status()} reports; host memory as PSS (the guest's memfd is mapped by QEMU and its helpers). */
    public record VmStatus(
            long monitorPid, VmSize size, String accel, String state, long hostMemoryBytes, long[] hostCpuMicros) {}

    /**
     * Stops the VM within {@code timeout}: the agent syncs and powers the guest off, then the power button,
     * SIGTERM and SIGKILL each get a share of what is left. Mounts and the state directory stay until
     * {@link #close()} (containers may still be deleted after their pod stopped).
     */
    @Override
    public void stop(Duration timeout) {
        if (vm == null) {
            return;
        }
        Duration share = timeout.dividedBy(3).compareTo(Duration.ofSeconds(1)) < 0
                ? Duration.ofSeconds(1)
                : timeout.dividedBy(3);
        AgentClient a = agent;
        List<ShutdownLadder.Outcome> steps = ShutdownLadder.run(
                vm,
                ShutdownLadder.standard(
                        vm,
                        () -> {
                            if (a == null) {
                                throw new IllegalStateException("no agent connection");
                            }
                            a.powerOff(share);
                        },
                        share,
                        share,
                        share));
        steps.forEach(o -> observer.shutdownStep(o.step(), o.result()));
        vm.close();
        detachNetwork();
        agent = null;
        guest = null;
        if (a != null) {
            a.close();
        }
    }

    @Override
    public void pause(Duration timeout) {
        vm.pause(timeout);
    }

    @Override
    public void resume(Duration timeout) {
        vm.resume(timeout);
    }

    @Override
    public void abortStart() {
        VirtualMachine v = vm;
        if (v != null) {
            v.terminateMonitor();
        }
    }

    /** Powers the guest off (briefly graceful when it still answers), stops the VM, undoes every mount. */
    @Override
    public void close() {
        if (agent != null) {
            // A VM that already ended, or is paused, has no agent to answer: the call could only wait for its
            // timeout.
            if (vm == null || (!vm.exitFuture().isDone() && !isPaused())) {
                try {
                    agent.powerOff(POWER_OFF_GRACE);
                } catch (RuntimeException e) {
                    LOG.debug("power-off request: {}", e.getMessage());
                }
            }
            agent.close();
        }
        if (vm != null) {
            vm.close();
            LOG.debug("console of sandbox {}:\n{}", sandboxId, vm.consoleTail(200));
            if (System.getenv("JVMM_KEEP_CONSOLE") != null) {
                try {
                    Files.copy(
                            vm.config().consoleLog(),
                            Path.of(System.getenv("JVMM_KEEP_CONSOLE")),
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    LOG.debug("cannot keep the console log: {}", e.getMessage());
                }
            }
        }
        detachNetwork();
        SandboxDirs.cleanUp(stateDir);
    }

    private void detachNetwork() {
        if (network != null) {
            network.detach();
            network = null;
        }
    }
}
