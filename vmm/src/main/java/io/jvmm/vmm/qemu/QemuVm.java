package io.jvmm.vmm.qemu;

import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmExit;
import io.jvmm.vmm.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A QEMU VM: starts vhost-device-vsock (and virtiofsd when a share is configured), then QEMU, and
 * drives it over QMP. Every process it starts dies with the JVM (pdeathsig) and with {@link #close()}.
 */
public final class QemuVm implements VirtualMachine {
    private static final Logger LOG = LogManager.getLogger(QemuVm.class);

    /** How devices reach QEMU: all on the command line, or added over QMP to a paused VM (-S) before cont. */
    public enum DeviceSetup { COMMAND_LINE, QMP }

    private final VmConfig config;
    private final boolean kvm;
    private final DeviceSetup deviceSetup;
    private final List<SupervisedProcess> helpers = new ArrayList<>();
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private volatile VmState state = VmState.CREATED;
    private volatile boolean guestShutdown;
    private SupervisedProcess qemu;
    private QmpClient qmp;
    private java.util.Optional<io.jvmm.vmm.CgroupLeaf> cgroup = java.util.Optional.empty();

    public QemuVm(VmConfig config, boolean kvm) {
        this(config, kvm, DeviceSetup.COMMAND_LINE);
    }

    public QemuVm(VmConfig config, boolean kvm, DeviceSetup deviceSetup) {
        this.config = config;
        this.kvm = kvm;
        this.deviceSetup = deviceSetup;
    }

    @Override
    public VmConfig config() {
        return config;
    }

    @Override
    public VmState state() {
        return state;
    }

    private synchronized void transition(VmState target, String action) {
        state = state.to(target, action);
    }

    @Override
    public void start(Duration timeout) {
        transition(VmState.BOOTING, "start");
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Files.createDirectories(config.stateDir());
            cgroup = io.jvmm.vmm.CgroupLeaf.create("jvmm-" + config.stateDir().getFileName());
            startVsockDevice(deadline);
            config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
            startQemu(deadline);
            transition(VmState.RUNNING, "start");
        } catch (IOException e) {
            fail();
            throw new VmException.BootFailed("cannot prepare " + config.stateDir() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            fail();
            throw e;
        }
    }

    private void fail() {
        close();
        synchronized (this) {
            if (!state.isFinal()) {
                state = VmState.FAILED;
            }
        }
    }

    private void startVsockDevice(long deadline) {
        SupervisedProcess vsock = SupervisedProcess.start("vhost-device-vsock", List.of(
                HostTools.vhostDeviceVsock().toString(), "--vm",
                "guest-cid=" + config.guestCid() + ",socket=" + config.vhostVsockSocket() + ",uds-path=" + config.vsockSocket()),
                config.stateDir().resolve("vhost-device-vsock.log"));
        helpers.add(vsock);
        cgroup.ifPresent(c -> c.add(vsock.pid()));
        HostTools.awaitFile(config.vhostVsockSocket(), vsock, deadline);
    }

    private void startVirtiofs(Path dir, long deadline) {
        SupervisedProcess fs = SupervisedProcess.start("virtiofsd", List.of(HostTools.virtiofsd().toString(),
                "--socket-path=" + config.virtiofsSocket(), "-o", "source=" + dir, "-o", "cache=auto"),
                config.stateDir().resolve("virtiofsd.log"));
        helpers.add(fs);
        cgroup.ifPresent(c -> c.add(fs.pid()));
        HostTools.awaitFile(config.virtiofsSocket(), fs, deadline);
    }

    private void startQemu(long deadline) {
        List<String> command = deviceSetup == DeviceSetup.QMP
                ? QemuCommandLine.buildPaused(config, kvm) : QemuCommandLine.build(config, kvm);
        qemu = SupervisedProcess.start("qemu", command, config.stateDir().resolve("qemu.log"));
        cgroup.ifPresent(c -> c.add(qemu.pid()));
        qemu.onExit().thenAccept(p -> onQemuExit(p.exitValue()));
        HostTools.awaitFile(config.qmpSocket(), qemu, deadline);
        qmp = QmpClient.connect(config.qmpSocket(), Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        qmp.onEvent(event -> {
            switch (event.name()) {
                case "SHUTDOWN" -> guestShutdown = event.data().path("guest").asBoolean(false);
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

    private void onQemuExit(int code) {
        synchronized (this) {
            if (!state.isFinal()) {
                state = VmState.STOPPED;
            }
        }
        String reason = guestShutdown ? "guest shut down" : code == 0 ? "monitor quit" : "monitor exited with " + code;
        LOG.info("QEMU (pid {}) exited: {}", qemu.pid(), reason);
        exit.complete(new VmExit(Instant.now(), guestShutdown, code, reason));
        helpers.forEach(h -> h.stop(Duration.ofSeconds(2)));
    }

    @Override
    public void pause(Duration timeout) {
        transition(VmState.PAUSED, "pause");
        qmp.execute("stop", null, timeout);
    }

    @Override
    public void resume(Duration timeout) {
        transition(VmState.RUNNING, "resume");
        qmp.execute("cont", null, timeout);
    }

    @Override
    public void pressPowerButton(Duration timeout) {
        requireMonitor("press the power button");
        qmp.execute("system_powerdown", null, timeout);
    }

    private void requireMonitor(String action) {
        if (qmp == null || state.isFinal()) {
            throw new VmException.IllegalTransition("cannot " + action + ": VM is " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Override
    public CompletableFuture<VmExit> exitFuture() {
        return exit;
    }

    /** The VM's own cgroup, when the host lets us make one. */
    public java.util.Optional<Path> cgroupPath() {
        return cgroup.map(io.jvmm.vmm.CgroupLeaf::path);
    }

    @Override
    public long monitorPid() {
        return qemu == null ? -1 : qemu.pid();
    }

    @Override
    public long hostMemoryBytes() {
        long total = qemu == null ? 0 : HostTools.rssBytes(qemu.pid());
        for (SupervisedProcess h : helpers) {
            total += HostTools.rssBytes(h.pid());
        }
        return total;
    }

    @Override
    public void terminateMonitor() {
        if (qemu != null) {
            qemu.terminate();
        }
    }

    @Override
    public String consoleTail(int lines) {
        try {
            List<String> all = Files.readAllLines(config.consoleLog());
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu != null) {
            qemu.kill();
        }
        for (SupervisedProcess h : helpers) {
            h.kill();
        }
        cgroup.ifPresent(io.jvmm.vmm.CgroupLeaf::close);
        synchronized (this) {
            if (!state.isFinal()) {
                state = VmState.STOPPED;
            }
        }
        deleteSockets();
    }

    private void deleteSockets() {
        for (Path p : List.of(config.qmpSocket(), config.vsockSocket(), config.vhostVsockSocket(), config.virtiofsSocket())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", p, e.getMessage());
            }
        }
        // vhost-device-vsock creates <uds>_<port> sockets for guest-initiated connections.
        try (Stream<Path> files = Files.list(config.stateDir())) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("vsock.sock_"))
                    .sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // state dir already gone
        }
    }
}
