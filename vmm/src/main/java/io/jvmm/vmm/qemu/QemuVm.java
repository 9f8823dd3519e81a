package io.jvmm.vmm.qemu;

import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A QEMU VM: starts vhost-device-vsock (and virtiofsd when a share is configured), then QEMU, and
 * drives it over QMP. Every process it starts dies with the JVM (pdeathsig) and with {@link #close()}.
 */
public final class QemuVm extends AbstractVm {
    private static final Logger LOG = LogManager.getLogger(QemuVm.class);

    /** How devices reach QEMU: all on the command line, or added over QMP to a paused VM (-S) before cont. */
    public enum DeviceSetup { COMMAND_LINE, QMP }

    private final boolean kvm;
    private final DeviceSetup deviceSetup;
    private QmpClient qmp;

    public QemuVm(VmConfig config, boolean kvm) {
        this(config, kvm, DeviceSetup.COMMAND_LINE);
    }

    public QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup) {
        super(config);
        this.kvm = kvm;
        this.deviceSetup = deviceSetup;
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
        List<String> command = deviceSetup == DeviceSetup.QMP
                ? QemuCommandLine.buildPaused(config, kvm) : QemuCommandLine.build(config, kvm);
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
        String status = qmp.execute("query-status", null, Duration.ofSeconds(5)).path("status").asText();
        if (!status.equals("running")) {
            throw new VmException.BootFailed("QEMU reports status '" + status + "' after start", null);
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
