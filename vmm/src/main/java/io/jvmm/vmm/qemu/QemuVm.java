package io.jvmm.vmm.qemu;

import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
     * How devices reach QEMU: all on the command line; added over QMP to a paused VM (-S) before cont; or
     * the snapshot layout, where only what QEMU can migrate is on the command line and the vsock device is
     * plugged over QMP (see {@link #saveSnapshot} and {@link #restoring}).
     */
    public enum DeviceSetup { COMMAND_LINE, QMP, SNAPSHOTTABLE }

    private static final Duration MIGRATION_POLL = Duration.ofMillis(20);
    /** A PCIe unplug the guest has not acknowledged by then will not come (pciehp waits 5 s at most). */
    private static final Duration UNPLUG_TIMEOUT = Duration.ofSeconds(30);

    private final boolean kvm;
    private final DeviceSetup deviceSetup;
    private final Optional<Path> incoming;
    private QmpClient qmp;

    public QemuVm(VmConfig config, boolean kvm) {
        this(config, kvm, DeviceSetup.COMMAND_LINE);
    }

    public QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup) {
        this(config, kvm, deviceSetup, Optional.empty());
    }

    private QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup, Optional<Path> incoming) {
        super(config);
        this.kvm = kvm;
        this.deviceSetup = deviceSetup;
        this.incoming = incoming;
    }

    /**
     * A VM that {@link #start} restores from {@code snapshot} (written by {@link #saveSnapshot}) instead of
     * booting: same kernel, memory size and device layout as the VM that saved it; a vsock device of its own
     * is plugged once it runs, so the agent that was listening answers again.
     */
    public static QemuVm restoring(VmConfig config, boolean kvm, Path snapshot) {
        if (!Files.isRegularFile(snapshot)) {
            throw new VmException.InvalidConfig("snapshot " + snapshot + " does not exist");
        }
        return new QemuVm(config, kvm, DeviceSetup.SNAPSHOTTABLE, Optional.of(snapshot));
    }

    @Override
    protected void boot(long deadline) {
        SupervisedProcess vsock = startHelper("vhost-device-vsock", List.of(
                HostTools.vhostDeviceVsock().toString(), "--vm",
                "guest-cid=" + config.guestCid() + ",socket=" + config.vhostVsockSocket() + ",uds-path=" + config.vsockSocket()));
        HostTools.awaitFile(config.vhostVsockSocket(), vsock, deadline);
        config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
        startQemu(deadline);
    }

    private void startQemu(long deadline) {
        List<String> command = switch (deviceSetup) {
            case QMP -> QemuCommandLine.buildPaused(config, kvm);
            case COMMAND_LINE -> QemuCommandLine.build(config, kvm);
            case SNAPSHOTTABLE -> QemuCommandLine.buildSnapshottable(config, kvm, incoming);
        };
        SupervisedProcess qemu = SupervisedProcess.start("qemu", command, config.stateDir().resolve("qemu.log"));
        monitorStarted(qemu);
        HostTools.awaitFile(config.qmpSocket(), qemu, deadline);
        qmp = QmpClient.connect(config.qmpSocket(), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        qmp.onEvent(event -> {
            switch (event.name()) {
                case "SHUTDOWN" -> guestShutdown(event.data().path("guest").asBoolean(false));
                case "GUEST_PANICKED" -> LOG.warn("guest panicked: {}", event.data());
                default -> LOG.debug("QMP event {}", event.name());
            }
        });
        if (deviceSetup == DeviceSetup.QMP) {
            QmpDevices.plugAll(qmp, config, Duration.ofSeconds(10));
            qmp.execute("cont", null, Duration.ofSeconds(5));
        }
        if (deviceSetup == DeviceSetup.SNAPSHOTTABLE) {
            if (incoming.isPresent()) {
                awaitMigration("restore from " + incoming.get(), deadline);
                qmp.execute("cont", null, Duration.ofSeconds(5));
                plugSnapshotDevices();
            } else {
                plugSnapshotDevices();
                qmp.execute("cont", null, Duration.ofSeconds(5));
            }
        }
        String status = qmp.execute("query-status", null, Duration.ofSeconds(5)).path("status").asText();
        if (!status.equals("running")) {
            throw new VmException.BootFailed("QEMU reports status '" + status + "' after start", null);
        }
    }

    /** The devices of the snapshot layout that are not on the command line: vsock, the share, the card. */
    private void plugSnapshotDevices() {
        QmpDevices.plugVsock(qmp, config, QemuCommandLine.VSOCK_PORT, Duration.ofSeconds(10));
        if (config.shareDir().isPresent()) {
            QmpDevices.plugShare(qmp, config, QemuCommandLine.FS_PORT, Duration.ofSeconds(10));
        }
        config.nic().ifPresent(nic -> QmpDevices.plugNic(qmp, nic, QemuCommandLine.NET_PORT, Duration.ofSeconds(10)));
    }

    /**
     * Saves the running guest's whole state to {@code file}, crash-safe: the vsock device is unplugged
     * first (QEMU 7.2 cannot migrate vhost-user-vsock; open agent connections end), the VM is stopped, its
     * state streamed to a temporary file that is fsynced and renamed into place. The VM stays paused; a
     * restored copy starts where it stopped. Only in the {@link DeviceSetup#SNAPSHOTTABLE} layout.
     */
    public void saveSnapshot(Path file, Duration timeout) {
        if (deviceSetup != DeviceSetup.SNAPSHOTTABLE) {
            throw new VmException.InvalidConfig("only a VM in the snapshottable device layout can be saved");
        }
        if (config.shareDir().isPresent() || config.nic().isPresent()) {
            // A template is saved before any container or network exists; each restored VM gets its own.
            throw new VmException.InvalidConfig("a VM with a virtiofs share or a network card cannot be saved");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        QmpDevices.unplugVsock(qmp, UNPLUG_TIMEOUT.compareTo(timeout) < 0 ? UNPLUG_TIMEOUT : timeout);
        pause(Duration.ofSeconds(5));
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            Files.deleteIfExists(partial);
            qmp.execute("migrate", java.util.Map.of("uri", "exec:cat > " + partial), Duration.ofSeconds(5));
            awaitMigration("snapshot to " + file, deadline);
            try (var channel = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new VmException.MonitorError("cannot write snapshot " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (java.io.IOException e) {
                LOG.warn("cannot remove {}: {}", partial, e.getMessage());
            }
        }
    }

    /** Waits until an outgoing or incoming migration has completed; fails on its failure or at the deadline. */
    private void awaitMigration(String what, long deadline) {
        while (true) {
            var status = qmp.execute("query-migrate", null, Duration.ofSeconds(5));
            String s = status.path("status").asText("");
            if (s.equals("completed")) {
                return;
            }
            if (s.equals("failed") || s.equals("cancelled")) {
                throw new VmException.MonitorError(what + " failed: " + status.path("error-desc").asText(s), null);
            }
            if (System.nanoTime() > deadline) {
                throw new VmException.Timeout(what + " did not complete in time (" + s + ")");
            }
            try {
                Thread.sleep(MIGRATION_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException.MonitorError(what + " interrupted", e);
            }
        }
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
        if (qmp != null) {
            qmp.close();
        }
    }

    @Override
    protected List<Path> sockets() {
        return List.of(config.qmpSocket(), config.vsockSocket(), config.vhostVsockSocket(), config.virtiofsSocket());
    }
}
