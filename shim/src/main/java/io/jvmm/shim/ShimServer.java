package io.jvmm.shim;

import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.events.EventPublisher;
import io.jvmm.shim.logging.LogfmtProvider;
import io.jvmm.shim.metrics.LateMetrics;
import io.jvmm.shim.metrics.MetricsSockets;
import io.jvmm.shim.tracing.OtlpSettings;
import io.jvmm.shim.tracing.Tracing;
import io.jvmm.sys.Umask;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.TaskService;
import io.jvmm.task.pod.SandboxService;
import io.jvmm.task.sandbox.SandboxDirs;
import io.jvmm.task.sandbox.SandboxRecord;
import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.StateRoot;
import io.jvmm.task.sandbox.TemplateMaker;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.task.ttrpc.SandboxEndpoint;
import io.jvmm.task.ttrpc.TaskEndpoint;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The long-running shim: serves Task v2 and v3 and the Sandbox service on its socket for one sandbox (a
 * pod, or a lone container), publishes their events to containerd, and exits (removing its socket) after
 * ShutdownSandbox, or after a Task Shutdown that leaves no task when the Sandbox service holds no pod.
 * It owns, in order of creation: the event publisher, its metrics (served on a unix socket for the
 * monitor), the task service (and through it the VM), the ttrpc server; it closes them in reverse.
 */
final class ShimServer {
    private static final Logger LOG = LogManager.getLogger(ShimServer.class);
    private static final Duration CALLS_GRACE = Duration.ofSeconds(5);
    private static final Duration EVENTS_FLUSH = Duration.ofSeconds(10);
    /** What the shim's exit waits for its last spans (containerd's Delete and Shutdown among them). */
    private static final Duration TRACES_FLUSH = Duration.ofSeconds(3);

    private final ShimFlags flags;
    private final Path bundle;
    private final ServerListener listener;
    private final SandboxSettings settings;
    private final boolean metricsOn;
    private final Path configFile;
    private final CountDownLatch exit = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * {@code configFile}: the configuration {@code settings} came from (a template maker reads it again);
     * {@code metricsOn}: whether this shim serves metrics.
     */
    ShimServer(
            ShimFlags flags,
            Path bundle,
            ServerListener listener,
            SandboxSettings settings,
            Path configFile,
            boolean metricsOn) {
        this.metricsOn = metricsOn;
        this.configFile = configFile;
        this.flags = flags;
        this.bundle = bundle;
        this.listener = listener;
        this.settings = settings;
    }

    void serve() throws IOException, InterruptedException {
        // Whatever this shim and its VM's processes create (state, sockets, consoles, logs) is theirs alone. The
        // installed launcher sets this mask already, which spares the first answer an FFM downcall's linking.
        Umask.ensure(077);
        String group = GroupId.of(bundle, flags.id());
        // Every line from here on names the sandbox: containerd's log mixes the lines of all its shims.
        System.setProperty(LogfmtProvider.SANDBOX_PROPERTY, group);
        EventPublisher events = new EventPublisher(ttrpcAddress(), flags.namespace());
        Path stateDir = SandboxDirs.stateDir(settings, flags.namespace(), group);
        LateMetrics metrics = metricsOn
                ? LateMetrics.start(
                        group,
                        flags.namespace(),
                        bundle,
                        MetricsSockets.of(StateRoot.canonical(settings.stateRoot()), flags.namespace(), group),
                        () -> SandboxRecord.liveProcesses(stateDir))
                : LateMetrics.none();
        Optional<Tracing> tracing = startTracing(group);
        // No lambda over Tracing here: linking one loads its class even when tracing is off (TraceTest).
        CallObserver observer = metrics;
        SandboxObserver sandboxObserver = metrics;
        if (tracing.isPresent()) {
            observer = CallObserver.both(metrics, tracing.get().calls());
            sandboxObserver = SandboxObserver.both(metrics, tracing.get().sandbox());
        }
        SandboxObserver observing = sandboxObserver;
        TemplateMaker templates = new DetachedTemplateMaker(configFile, StartAction.selfCommand());
        TaskService tasks = new TaskService(
                flags.namespace(),
                () -> VmSandbox.prepare(settings, flags.namespace(), group, templates, observing),
                metrics.counting(events));
        metrics.watchGuest(tasks::guestStats);
        SandboxService sandbox = new SandboxService(group, tasks, observing);
        TtrpcServer.Builder builder =
                TtrpcServer.builder().requireSameUser(true).observer(observer);
        for (ServiceDefinition d : new TaskEndpoint(tasks, exit::countDown, sandbox::holdsShim).definitions()) {
            builder.addService(d);
        }
        builder.addService(new SandboxEndpoint(sandbox, exit::countDown).definition());
        TtrpcServer server = listener.serve(builder);
        // As containerd's shims do: the server's pid in the bundle, for operators and tools.
        Files.writeString(
                bundle.resolve("shim.pid"),
                Long.toString(ProcessHandle.current().pid()));
        // SIGTERM: the JVM halts once its shutdown hooks return, so the hook waits for the cleanup below.
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAndWait, "shim-signal"));
        LOG.info("jvmm shim {} serving sandbox {} on {} ({})", ShimMain.VERSION, group, listener.socket(), listener);
        exit.await();
        LOG.info("shutting down");
        try {
            // The sandbox first, while the socket still answers: containerd runs this binary's delete once
            // the connection closes, and a socket that accepts tells that delete a server is still cleaning
            // up (a Shutdown answers before a slow close is done), so the two never clean up together.
            tasks.close();
            server.shutdown(CALLS_GRACE);
            removeStartLock();
            events.close(EVENTS_FLUSH);
        } finally {
            metrics.close();
            if (tracing.isPresent()) {
                tracing.get().close(TRACES_FLUSH);
            }
            stopped.countDown();
        }
    }

    /**
     * Traces only where the environment names an OTLP collector (containerd's own, which its shims inherit,
     * or one set for them): otherwise nothing of the tracing package, OTLP's messages or the JDK's HTTP
     * client is loaded. Settings it cannot follow leave this shim untraced, with a warning.
     */
    private Optional<Tracing> startTracing(String group) {
        Map<String, String> env = System.getenv();
        if (!OtlpSettings.requested(env)) {
            return Optional.empty();
        }
        try {
            return Tracing.fromEnvironment(env, group, flags.namespace());
        } catch (IllegalArgumentException e) {
            LOG.warn("this shim exports no traces: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /** The group's start lock file goes with its socket (unless a start brought the group back meanwhile). */
    private void removeStartLock() {
        try {
            StartAction.removeGroupFiles(listener.socket());
        } catch (IOException e) {
            LOG.warn("cannot remove the start lock of {}: {}", listener.socket(), e.getMessage());
        }
    }

    private void stopAndWait() {
        exit.countDown();
        try {
            stopped.await(CALLS_GRACE.plus(EVENTS_FLUSH).plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Path ttrpcAddress() {
        String env = System.getenv("TTRPC_ADDRESS");
        if (env != null && !env.isEmpty()) {
            return Path.of(env.replaceFirst("^unix://", ""));
        }
        return Path.of(flags.address() + ".ttrpc");
    }
}
