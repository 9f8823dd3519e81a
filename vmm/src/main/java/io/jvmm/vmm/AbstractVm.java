package io.jvmm.vmm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What every driver shares: the state machine, the supervised monitor and helper processes, the
 * VM's cgroup, its exit, and cleaning up. A driver adds only how to boot, pause, resume and press the
 * power button through its monitor's API.
 */
public abstract class AbstractVm implements VirtualMachine {
    private static final Logger LOG = LogManager.getLogger(AbstractVm.class);
    private static final int CONSOLE_TAIL_BYTES = 64 * 1024;
    private static final Duration HELPER_EXIT_SETTLE = Duration.ofSeconds(2);

    protected final VmConfig config;
    private final List<SupervisedProcess> helpers = new ArrayList<>();
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private final CompletableFuture<String> helperLost = new CompletableFuture<>();
    /** Set when this VM is being closed: its helpers' ends are then expected. */
    private volatile boolean closing;

    private volatile VmState state = VmState.CREATED;
    private volatile boolean guestShutdown;
    private volatile SupervisedProcess monitor;
    private Optional<CgroupLeaf> cgroup = Optional.empty();
    private Closeable snapshotLease;

    protected AbstractVm(VmConfig config) {
        this.config = config;
    }

    /**
     * For the drivers of other monitors: refuses what only the QEMU driver wires up (a pod's network card,
     * a CPU model) instead of silently ignoring it; {@code monitor} names the driver's monitor.
     */
    protected static void refuseQemuOnlySettings(VmConfig config, String monitor) {
        if (config.nic().isPresent()) {
            throw new VmException.InvalidConfig("a network card in a pod's namespace is only supported with QEMU");
        }
        if (config.cpuModel().isPresent()) {
            throw new VmException.InvalidConfig(
                    "a CPU model is a QEMU setting; " + monitor + "'s CPU templates are not wired up");
        }
    }

    /** Starts the helpers and the monitor, configures the VM and lets it run, before the deadline. */
    protected abstract void boot(long deadlineNanos);

    protected abstract void doPause(Duration timeout);

    protected abstract void doResume(Duration timeout);

    protected abstract void doPressPowerButton(Duration timeout);

    /** Closes the connection to the monitor's control socket, if any. */
    protected abstract void closeControl();

    /** Sockets this driver's processes create, removed on close. */
    protected abstract List<Path> sockets();

    @Override
    public VmConfig config() {
        return config;
    }

    @Override
    public VmState state() {
        return state;
    }

    protected synchronized void transition(VmState target, String action) {
        state = state.to(target, action);
    }

    private synchronized void end(VmState end) {
        state = state.ended(end);
    }

    @Override
    public final void start(Duration timeout) {
        transition(VmState.BOOTING, "start");
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Files.createDirectories(config.vmmDir());
            cgroup = CgroupLeaf.create(CgroupLeaf.leafName(config.stateDir()));
            boot(deadline);
            transition(VmState.RUNNING, "start");
        } catch (IOException e) {
            fail();
            throw new VmException.BootFailed("cannot prepare " + config.stateDir() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            fail();
            throw e;
        }
    }

    /**
     * Marks {@code snapshot} in use by this VM (its monitor maps or reads the snapshot's memory) until
     * {@link #close}: the registry refuses to delete it meanwhile.
     */
    protected final void leaseSnapshot(GuestSnapshot snapshot) {
        try {
            snapshotLease = snapshot.lease();
        } catch (IOException e) {
            throw new VmException.BootFailed("cannot lease snapshot " + snapshot.dir() + ": " + e.getMessage(), e);
        }
    }

    /** What a driver does to save its guest into a snapshot's partial directory; answers the monitor's version. */
    @FunctionalInterface
    protected interface SnapshotWriter {
        String writeInto(Path partialDir) throws IOException;
    }

    /**
     * The crash-safe frame of every driver's save: an old partial directory removed, a new one made, the
     * driver's writer fills it, {@link GuestSnapshot#commit} completes it; on failure nothing is left.
     */
    protected final void writeSnapshot(GuestSnapshot target, VmmType monitor, SnapshotWriter writer) {
        Path partial = target.partialDir();
        try {
            target.removePartial();
            Files.createDirectories(partial);
            String version = writer.writeInto(partial);
            target.commit(config, monitor, version);
        } catch (IOException e) {
            throw new VmException.MonitorError("cannot write snapshot " + target.dir() + ": " + e.getMessage(), e);
        } finally {
            try {
                target.removePartial();
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", partial, e.getMessage());
            }
        }
    }

    /** Saving needs a running guest that nothing else is changing. */
    protected final void requireRunningForSnapshot() {
        if (state != VmState.RUNNING) {
            throw new VmException.IllegalTransition(
                    "cannot save a snapshot: VM is " + state.name().toLowerCase(Locale.ROOT));
        }
    }

    /** A boot that failed ends FAILED (final, so cleaning up after it cannot turn it into STOPPED). */
    private void fail() {
        end(VmState.FAILED);
        close();
    }

    protected final SupervisedProcess startHelper(String name, List<String> command) {
        SupervisedProcess helper =
                SupervisedProcess.start(name, command, config.stateDir().resolve(name + ".log"));
        helpers.add(helper);
        cgroup.ifPresent(c -> c.add(helper.pid()));
        // Looked at a moment after the exit: when the guest powers off, virtiofsd sees the device go and
        // exits (0) just before the monitor does, which is no loss.
        helper.onExit()
                .thenAcceptAsync(
                        p -> {
                            if (!closing && !exit.isDone()) {
                                String reason = name + " (pid " + helper.pid() + ") exited with " + p.exitValue();
                                LOG.warn(
                                        "{} while VM {} runs; its log: {}",
                                        reason,
                                        config.stateDir(),
                                        helper.logTail());
                                helperLost.complete(reason);
                            }
                        },
                        CompletableFuture.delayedExecutor(HELPER_EXIT_SETTLE.toMillis(), TimeUnit.MILLISECONDS));
        return helper;
    }

    @Override
    public CompletableFuture<String> helperLost() {
        return helperLost;
    }

    /** virtiofsd exporting {@code dir} on the VM's virtiofs socket (QEMU and Cloud Hypervisor share it the same way). */
    protected final void startVirtiofs(Path dir, long deadlineNanos) {
        SupervisedProcess fs = startHelper(
                "virtiofsd",
                List.of(
                        HostTools.virtiofsd().toString(),
                        "--socket-path=" + config.virtiofsSocket(),
                        "-o",
                        "source=" + dir,
                        "-o",
                        "cache=auto"));
        HostTools.awaitFile(config.virtiofsSocket(), fs, deadlineNanos);
        // virtiofsd stays root (it serves files of every owner, inside its own sandbox); the VMM's user
        // connects to its socket through the group.
        config.vmmUser().ifPresent(u -> grant(() -> u.share(config.virtiofsSocket(), "rw-rw----")));
    }

    /** A step that hands the VMM's unprivileged user something it opens (a file's owner, a mode). */
    @FunctionalInterface
    protected interface Grant {
        void run() throws IOException;
    }

    /** Runs {@code grant}; a failure fails the boot, naming what could not be handed over. */
    protected static void grant(Grant grant) {
        try {
            grant.run();
        } catch (IOException e) {
            throw new VmException.BootFailed("cannot give the VMM's user what it opens: " + e.getMessage(), e);
        }
    }

    /** Adopts the monitor process: joins the cgroup, and its exit becomes the VM's exit. */
    protected final void monitorStarted(SupervisedProcess process) {
        monitor = process;
        cgroup.ifPresent(c -> c.add(process.pid()));
        process.onExit().thenAccept(p -> onMonitorExit(p.exitValue()));
    }

    /** The monitor reported that the guest shut itself down (QEMU's SHUTDOWN event with guest=true). */
    protected final void guestShutdown(boolean value) {
        guestShutdown = value;
    }

    protected final SupervisedProcess monitor() {
        return monitor;
    }

    private void onMonitorExit(int code) {
        end(VmState.STOPPED);
        String reason = guestShutdown
                ? "guest shut down"
                : code == 0 ? "monitor quit" : "monitor exited with " + code + VmExit.signalMeaning(code);
        LOG.info("{} (pid {}) exited: {}", monitor.name(), monitor.pid(), reason);
        exit.complete(new VmExit(Instant.now(), guestShutdown, code, reason));
        helpers.forEach(h -> h.stop(Duration.ofSeconds(2)));
    }

    @Override
    public void pause(Duration timeout) {
        transition(VmState.PAUSED, "pause");
        doPause(timeout);
    }

    @Override
    public void resume(Duration timeout) {
        transition(VmState.RUNNING, "resume");
        doResume(timeout);
    }

    @Override
    public void pressPowerButton(Duration timeout) {
        if (monitor == null || state.isFinal()) {
            throw new VmException.IllegalTransition(
                    "cannot press the power button: VM is " + state.name().toLowerCase(Locale.ROOT));
        }
        doPressPowerButton(timeout);
    }

    @Override
    public CompletableFuture<VmExit> exitFuture() {
        return exit;
    }

    @Override
    public long monitorPid() {
        return monitor == null ? -1 : monitor.pid();
    }

    @Override
    public List<Long> processIds() {
        List<Long> pids = new ArrayList<>();
        if (monitor != null) {
            pids.add(monitor.pid());
        }
        helpers.forEach(h -> pids.add(h.pid()));
        return pids;
    }

    @Override
    public Optional<Path> cgroupPath() {
        return cgroup.map(CgroupLeaf::path);
    }

    @Override
    public long hostMemoryBytes() {
        long total = monitor == null ? 0 : HostTools.rssBytes(monitor.pid());
        for (SupervisedProcess h : helpers) {
            total += HostTools.rssBytes(h.pid());
        }
        return total;
    }

    @Override
    public void terminateMonitor() {
        if (monitor != null) {
            monitor.terminate();
        }
    }

    @Override
    public String consoleTail(int lines) {
        Optional<BoundedLog> console = console();
        if (console.isPresent()) {
            return console.get().tail(lines);
        }
        // A monitor that writes its console file itself (Firecracker, Cloud Hypervisor): its last bytes only.
        try (var file = FileChannel.open(config.consoleLog())) {
            long size = file.size();
            long from = Math.max(0, size - CONSOLE_TAIL_BYTES);
            ByteBuffer bytes = ByteBuffer.allocate((int) (size - from));
            while (bytes.hasRemaining() && file.read(bytes, from + bytes.position()) > 0) {
                // read on
            }
            List<String> all = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public CompletableFuture<Void> consoleSays(String text) {
        return console().map(c -> c.watch(text)).orElseGet(() -> VirtualMachine.super.consoleSays(text));
    }

    /** The console the shim drains from the monitor's output (QEMU's); empty when the monitor writes its own file. */
    private Optional<BoundedLog> console() {
        return monitor == null ? Optional.empty() : monitor.console();
    }

    @Override
    public void close() {
        closing = true;
        closeControl();
        if (monitor != null) {
            monitor.kill();
        }
        helpers.forEach(SupervisedProcess::kill);
        cgroup.ifPresent(CgroupLeaf::close);
        end(VmState.STOPPED);
        for (Path p : sockets()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", p, e.getMessage());
            }
        }
        deleteGuestInitiatedSockets();
        if (snapshotLease != null) {
            try {
                snapshotLease.close(); // after the monitor has gone: it no longer maps the memory
            } catch (IOException e) {
                LOG.warn("cannot release the snapshot lease: {}", e.getMessage());
            }
        }
    }

    /** Hybrid vsock creates {@code <uds>_<port>} sockets for guest-initiated connections. */
    private void deleteGuestInitiatedSockets() {
        try (var files = Files.list(config.vmmDir())) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("vsock.sock_"))
                    .toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // state dir already gone
        }
    }
}
