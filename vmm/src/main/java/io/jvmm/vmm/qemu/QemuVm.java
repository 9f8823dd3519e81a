package io.jvmm.vmm.qemu;

import io.jvmm.api.json.Json;
import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.VmmType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A QEMU VM: starts vhost-device-vsock (and virtiofsd when a share is configured), then QEMU, and
 * drives it over QMP. Every process it starts dies with the JVM (pdeathsig) and with {@link #close()}.
 */
public final class QemuVm extends AbstractVm {
    private static final Logger LOG = LogManager.getLogger(QemuVm.class);

    /**
     * One QMP command (the answer, not the work it starts): QEMU answers in milliseconds, but its main
     * loop shares the host's cores with every vCPU thread, so a host running many emulated guests can
     * delay it by seconds; only a stuck monitor takes this long.
     */
    private static final Duration QMP_CALL = MONITOR_CALL;

    private final boolean kvm;
    private final DeviceSetup deviceSetup;
    private final Optional<GuestSnapshot> restoreFrom;
    /** A whole guest saved by {@link #saveCheckpoint} that {@link #start} restores, and the disk it had. */
    private Optional<CheckpointFiles> checkpoint = Optional.empty();

    /** The device state with memory of a checkpointed VM, and its container's root disk if it had one. */
    public record CheckpointFiles(Path state, Optional<Path> rootDisk, String rootDiskSerial) {}

    private QmpClient qmp;
    private SerialAgentBridge agentBridge;
    private boolean holdAtReset;
    private ContainerDisks disks;
    private final QemuConfinement confinement;
    private final QemuMemory memory;

    public QemuVm(VmConfig config, boolean kvm) {
        this(config, kvm, DeviceSetup.COMMAND_LINE);
    }

    public QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup) {
        this(config, kvm, deviceSetup, Optional.empty());
    }

    private QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup, Optional<GuestSnapshot> restoreFrom) {
        super(config);
        this.kvm = kvm;
        this.deviceSetup = deviceSetup;
        this.restoreFrom = restoreFrom;
        this.confinement = new QemuConfinement(config);
        this.memory = new QemuMemory(config, confinement, restoreFrom);
    }

    /**
     * A VM that {@link #start} restores from {@code snapshot} (written by {@link #saveSnapshot}) instead of
     * booting. The snapshot is checked against {@code config} first (size, image, format, device-state
     * hash): a mismatch is refused here, before anything is started. A VM without a virtiofs share maps the
     * snapshot's memory privately, copy-on-write: every clone of one snapshot shares the pages it does not
     * write. A VM with a share (vhost-user maps guest memory shared) runs on its own copy of the memory.
     */
    public static QemuVm restoring(VmConfig config, boolean kvm, GuestSnapshot snapshot) {
        snapshot.verifyFor(config, VmmType.QEMU);
        return new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.of(snapshot));
    }

    /**
     * A VM that {@link #start} restores from a checkpoint written by {@link #saveCheckpoint}: the same
     * layout and size (the caller checks them against what the checkpoint recorded), its root disk plugged
     * where it was before the state is loaded, then running on from where it was saved.
     */
    public static QemuVm fromCheckpoint(VmConfig config, boolean kvm, CheckpointFiles files) {
        if (config.shareDir().isPresent() || config.nic().isPresent()) {
            throw new VmException.InvalidConfig("a checkpointed VM is restored without a share or a network card");
        }
        QemuVm vm = new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.empty());
        vm.checkpoint = Optional.of(files);
        return vm;
    }

    /**
     * Saves this guest whole, device state and every page of memory, into {@code file} (a task checkpoint;
     * a template keeps its memory as a file instead, {@link #saveSnapshot}). Only a VM without vhost-user
     * devices can be saved: the snapshot layout, no share. The VM is left paused; the agent's connections
     * stay (a restored copy starts a new session with its host).
     */
    public void saveCheckpoint(Path file, Duration timeout) {
        if (deviceSetup != DeviceSetup.SNAPSHOTTABLE
                || config.shareDir().isPresent()
                || config.nic().isPresent()) {
            throw new VmException.InvalidConfig(
                    "only a VM without a virtiofs share or a network card can be checkpointed"
                            + " (QEMU cannot save vhost-user devices)");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (state() == VmState.RUNNING) {
            pause(QMP_CALL);
        } else if (state() != VmState.PAUSED) {
            throw new VmException.IllegalTransition(
                    "cannot checkpoint: VM is " + state().name().toLowerCase(Locale.ROOT));
        }
        MigrationStream.save(qmp, file, false, "checkpoint to " + file, deadline, QMP_CALL); // memory in the stream
    }

    /**
     * A VM to boot in the snapshot layout (no vhost-user device: it can be checkpointed) that is not made to
     * be a template: its memory is a memfd, on huge pages when asked and the pool holds it, as a booted VM's.
     */
    public static QemuVm checkpointable(VmConfig config, boolean kvm) {
        QemuVm vm = new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.empty());
        vm.memory.useMemfd();
        return vm;
    }

    /**
     * A VM in the snapshot layout that {@link #start} leaves paused at reset, before its first instruction:
     * saved, it is the device layout's state with nothing of a guest in it (memory all holes), small
     * enough to commit as the golden fixture that every later build must still restore.
     */
    public static QemuVm heldAtReset(VmConfig config, boolean kvm) {
        QemuVm vm = new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.empty());
        vm.holdAtReset = true;
        return vm;
    }

    /**
     * A VM in the snapshot layout, to be saved, whose memory is {@code memoryFile} on a hugetlbfs (see
     * {@link io.jvmm.vmm.HugePages}); the snapshot then links to that file, which keeps the memory.
     */
    public static QemuVm onHugePages(VmConfig config, boolean kvm, Path memoryFile) {
        QemuVm vm = new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.empty());
        vm.memory.useHugeFile(memoryFile);
        return vm;
    }

    /** Whether this booted VM's memory is on the host's huge pages (once started; see {@link VmConfig#hugePages}). */
    public boolean onHugePages() {
        return memory.onHugePages();
    }

    /** Whether this VM's memory is a copy-on-write mapping of a snapshot shared with its other clones (once started). */
    public boolean sharesSnapshotMemory() {
        return memory.mapsSnapshot();
    }

    @Override
    protected void boot(long deadline) {
        // The VMM's user passes through the state directory into the one directory it writes (its sockets,
        // the guest's memory file); everything else there is the shim's.
        config.vmmUser()
                .ifPresent(u -> grant(() -> {
                    u.share(config.stateDir(), "rwx--x---");
                    u.share(config.vmmDir(), "rwxrwx---");
                }));
        if (deviceSetup == DeviceSetup.SNAPSHOTTABLE) {
            // The agent's channel is a virtio-serial port QEMU serves itself: no vsock helper.
            config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
            startQemu(deadline);
            return;
        }
        SupervisedProcess vsock = startHelper(
                "vhost-device-vsock",
                confinement.helper(List.of(
                        HostTools.vhostDeviceVsock().toString(),
                        "--vm",
                        "guest-cid=" + config.guestCid() + ",socket=" + config.vhostVsockSocket() + ",uds-path="
                                + config.vsockSocket())));
        HostTools.awaitFile(config.vhostVsockSocket(), vsock, deadline);
        config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
        startQemu(deadline);
    }

    private void startQemu(long deadline) {
        // A booted VM's memory on huge pages: the pool's lock is held from "it has room" until QEMU has mapped it.
        boolean onHugePages = memory.reserveHugePages(deviceSetup == DeviceSetup.SNAPSHOTTABLE);
        List<String> command = switch (deviceSetup) {
            case QMP -> QemuCommandLine.buildPaused(config, kvm, onHugePages);
            case COMMAND_LINE -> QemuCommandLine.build(config, kvm, onHugePages);
            case SNAPSHOTTABLE ->
                QemuCommandLine.buildSnapshottable(
                        config,
                        kvm,
                        memory.snapshotLayout(this::leaseSnapshot),
                        restoreFrom.isPresent() || checkpoint.isPresent());
        };
        SupervisedProcess qemu = SupervisedProcess.startWithConsole(
                "qemu",
                confinement.qemu(command, memory.outsideStateDir()),
                config.stateDir().resolve("qemu.log"),
                config.consoleLog());
        monitorStarted(qemu);
        HostTools.awaitFile(config.qmpSocket(), qemu, deadline);
        try {
            qmp = QmpClient.connect(config.qmpSocket(), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } finally {
            memory.mapped(); // QMP answers once the machine exists: its memory is mapped (and reserved)
        }
        qmp.onEvent(event -> {
            switch (event.name()) {
                case "SHUTDOWN" ->
                    guestShutdown(Boolean.TRUE.equals(event.data().get("guest")));
                case "GUEST_PANICKED" -> LOG.warn("guest panicked: {}", Json.write(event.data()));
                default -> LOG.debug("QMP event {}", event.name());
            }
        });
        if (deviceSetup == DeviceSetup.QMP) {
            QmpDevices.plugAll(qmp, config, QMP_CALL);
            qmp.execute("cont", null, QMP_CALL);
        }
        if (deviceSetup == DeviceSetup.SNAPSHOTTABLE) {
            agentBridge = SerialAgentBridge.start(QemuCommandLine.agentSerialSocket(config), config.vsockSocket());
            if (checkpoint.isPresent()) {
                restoreCheckpoint(checkpoint.get(), deadline);
            } else if (restoreFrom.isPresent()) {
                MigrationStream.restore(
                        qmp,
                        restoreFrom.get().vmstate(),
                        true,
                        "restore from " + restoreFrom.get().dir(),
                        deadline,
                        QMP_CALL);
                plugSnapshotDevices();
            } else {
                plugSnapshotDevices();
                if (holdAtReset) {
                    return;
                }
                qmp.execute("cont", null, QMP_CALL);
            }
        }
        String status = qmp.execute("query-status", null, QMP_CALL).text("status");
        if (!status.equals("running")) {
            throw new VmException.BootFailed("QEMU reports status '" + status + "' after start", null);
        }
    }

    /**
     * In the snapshot layout without a share, the share's root port is free: a container's root disk
     * goes there (one per VM: a lone container's sandbox).
     */
    @Override
    public void plugDisk(Path image, String serial, Duration timeout) {
        disks().plugLone(image, serial, timeout);
    }

    /** A pod's containers' disks on one SCSI controller in the share's port (a VM without a share). */
    @Override
    public void plugPodDisk(Path image, String serial, Duration timeout) {
        disks().plugPod(image, serial, timeout);
    }

    @Override
    public void unplugPodDisk(String serial, Duration timeout) {
        disks().unplugPod(serial, timeout);
    }

    private synchronized ContainerDisks disks() {
        if (deviceSetup != DeviceSetup.SNAPSHOTTABLE || config.shareDir().isPresent() || qmp == null) {
            throw new VmException.InvalidConfig(
                    "a disk is plugged only into a running snapshot-layout VM without a share");
        }
        if (disks == null) {
            disks = new ContainerDisks(qmp, confinement, QemuCommandLine.FS_PORT);
        }
        return disks;
    }

    /** The disk goes back where it was (same id, port, serial): the saved device state expects it there. */
    private void restoreCheckpoint(CheckpointFiles files, long deadline) {
        files.rootDisk().ifPresent(disk -> disks().plugLone(disk, files.rootDiskSerial(), QMP_CALL));
        MigrationStream.restore(
                qmp, files.state(), false, "restore from checkpoint " + files.state(), deadline, QMP_CALL);
    }

    /** The devices of the snapshot layout that are not on the command line: the share, the card. */
    private void plugSnapshotDevices() {
        if (config.shareDir().isPresent()) {
            QmpDevices.plugShare(qmp, config, QemuCommandLine.FS_PORT, QMP_CALL);
        }
        config.nic().ifPresent(nic -> QmpDevices.plugNic(qmp, nic, QemuCommandLine.NET_PORT, QMP_CALL));
    }

    /**
     * Saves the running guest as {@code target}, crash-safe: the agent's connections end (its serial port
     * is let go of), the VM is stopped, its device state streamed into {@code <target>.partial} next to
     * its memory file, then {@link GuestSnapshot#commit} fsyncs, writes the manifest and renames the
     * directory into place. The VM stays paused; a restored copy starts where it stopped. Only in the
     * {@link DeviceSetup#SNAPSHOTTABLE} layout, for a VM that was not itself restored.
     */
    @Override
    public void saveSnapshot(GuestSnapshot target, Duration timeout) {
        if (deviceSetup != DeviceSetup.SNAPSHOTTABLE || restoreFrom.isPresent()) {
            throw new VmException.InvalidConfig("only a VM booted in the snapshottable device layout can be saved");
        }
        if (config.shareDir().isPresent() || config.nic().isPresent()) {
            // A template is saved before any container or network exists; each restored VM gets its own.
            throw new VmException.InvalidConfig("a VM with a virtiofs share or a network card cannot be saved");
        }
        requireRunningForSnapshot();
        long deadline = System.nanoTime() + timeout.toNanos();
        agentBridge.close();
        pause(QMP_CALL);
        writeSnapshot(target, VmmType.QEMU, partial -> {
            MigrationStream.save(
                    qmp,
                    partial.resolve(target.vmstate().getFileName()),
                    true,
                    "snapshot to " + target.dir(),
                    deadline,
                    QMP_CALL);
            memory.saveInto(partial.resolve(target.memory().getFileName()));
            var version = qmp.execute("query-version", null, QMP_CALL).objectOrEmpty("qemu");
            return version.number("major", 0) + "." + version.number("minor", 0) + "." + version.number("micro", 0);
        });
        memory.committed();
    }

    @Override
    protected void doPause(Duration timeout) {
        qmp.execute("stop", null, timeout);
    }

    @Override
    protected void doResume(Duration timeout) {
        qmp.execute("cont", null, timeout);
    }

    @Override
    protected void doPressPowerButton(Duration timeout) {
        qmp.execute("system_powerdown", null, timeout);
    }

    @Override
    protected void closeControl() {
        if (agentBridge != null) {
            agentBridge.close();
        }
        if (qmp != null) {
            qmp.close();
        }
    }

    @Override
    public void close() {
        super.close();
        memory.close();
    }

    @Override
    protected List<Path> sockets() {
        return List.of(
                config.qmpSocket(),
                config.vsockSocket(),
                config.vhostVsockSocket(),
                config.virtiofsSocket(),
                QemuCommandLine.agentSerialSocket(config),
                memory.ownFile());
    }
}
