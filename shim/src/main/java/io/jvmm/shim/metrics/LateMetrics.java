package io.jvmm.shim.metrics;

import io.jvmm.shim.cli.TopLevelAnnotations;
import io.jvmm.task.PodName;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shim server's metrics, made on a thread of their own once the server is up, so that nothing of them
 * (the registry's classes, the socket) stands between containerd and the shim's first answer. What ends
 * before they are ready (containerd's first calls) is kept, up to {@link #EARLY_LIMIT} records, and counted
 * when they are. A sandbox made through the Sandbox service has no spec in its bundle: its pod's name
 * comes with CreateSandbox ({@link #podCreated}), and the registry waits for it (at most
 * {@link #POD_WAIT}) so that every series carries the same labels from the first.
 * The owner of the registry and its socket: {@link #close} removes the socket.
 */
public final class LateMetrics implements CallObserver, SandboxObserver, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(LateMetrics.class);
    /** Where CRI names the pod a sandbox runs. */
    private static final Map<String, String> POD_LABELS = Map.of(
            "io.kubernetes.cri.sandbox-name", "pod_name", "io.kubernetes.cri.sandbox-namespace", "pod_namespace");
    /** Records kept while the registry is being made: containerd's first few calls, never a flood. */
    static final int EARLY_LIMIT = 256;
    /** How long a Sandbox-service shim's registry waits for CreateSandbox's pod name. */
    static final Duration POD_WAIT = Duration.ofSeconds(10);

    private volatile ShimMetrics metrics;
    private volatile Supplier<Map<String, ContainerStats>> guestStats = Map::of;
    private volatile MetricsSocket socket;
    private final List<Consumer<ShimMetrics>> early = new ArrayList<>();
    private final CountDownLatch podKnown = new CountDownLatch(1);
    private volatile PodName pod = PodName.NONE;
    private boolean closed;

    private LateMetrics() {}

    /**
     * Starts making the metrics of sandbox {@code sandboxId} in containerd namespace {@code namespace}
     * (pod labels from {@code bundle}'s spec where CRI set them, else from CreateSandbox), served on
     * {@code socketPath}.
     */
    public static LateMetrics start(
            String sandboxId, String namespace, Path bundle, Path socketPath, Supplier<List<Long>> vmProcesses) {
        LateMetrics late = new LateMetrics();
        Thread.ofPlatform().daemon(true).name("metrics-start").start(() -> {
            try {
                Optional<Map<String, String>> annotations = specAnnotations(bundle);
                if (annotations.isEmpty() && !late.podKnown.await(POD_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.info("no CreateSandbox within {}: metrics without the pod's name", POD_WAIT);
                }
                late.ready(
                        new ShimMetrics(
                                labels(sandboxId, namespace, annotations.orElse(Map.of()), late.pod),
                                vmProcesses,
                                () -> late.guestStats.get()),
                        socketPath);
            } catch (IOException | RuntimeException e) {
                LOG.warn("this shim serves no metrics: {}", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return late;
    }

    private synchronized void ready(ShimMetrics made, Path socketPath) throws IOException {
        if (closed) {
            return;
        }
        early.forEach(record -> record.accept(made));
        early.clear();
        metrics = made;
        socket = MetricsSocket.serve(socketPath, made::scrape);
    }

    /** Metrics off: nothing is made, counted or served. */
    public static LateMetrics none() {
        return new LateMetrics();
    }

    /** The annotations of the bundle's spec; empty when it has none (a sandbox of the Sandbox service). */
    private static Optional<Map<String, String>> specAnnotations(Path bundle) {
        try {
            return Optional.of(TopLevelAnnotations.of(bundle.resolve("config.json")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Every series' labels: the sandbox's id and containerd namespace, and the pod's name and namespace from
     * the sandbox container's annotations (the pause-container model) or else from CreateSandbox.
     */
    static Map<String, String> labels(
            String sandboxId, String namespace, Map<String, String> annotations, PodName pod) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("sandbox_id", sandboxId);
        labels.put("namespace", namespace);
        Map<String, String> named = Map.of("pod_name", pod.name(), "pod_namespace", pod.namespace());
        POD_LABELS.forEach((annotation, label) -> {
            String value = annotations.getOrDefault(annotation, named.get(label));
            if (!value.isEmpty()) {
                labels.put(label, value);
            }
        });
        return labels;
    }

    /** Records now when the registry is ready, else keeps the record for it (up to {@link #EARLY_LIMIT}). */
    private void record(Consumer<ShimMetrics> record) {
        ShimMetrics m = metrics;
        if (m != null) {
            record.accept(m);
            return;
        }
        synchronized (this) {
            m = metrics;
            if (m == null) {
                if (!closed && early.size() < EARLY_LIMIT) {
                    early.add(record);
                }
                return;
            }
        }
        record.accept(m);
    }

    @Override
    public void podCreated(PodName created) {
        pod = created;
        podKnown.countDown();
    }

    @Override
    public void callEnded(String service, String method, Code code, long nanos) {
        record(m -> m.callEnded(service, method, code, nanos));
    }

    /** Where the guest's numbers for each container come from (the task service, once it exists). */
    public void watchGuest(Supplier<Map<String, ContainerStats>> stats) {
        guestStats = stats;
    }

    @Override
    public void vmStarted(Start how, long monitorNanos, long agentNanos) {
        record(m -> m.vmStarted(how, monitorNanos, agentNanos));
    }

    @Override
    public void templateLookup(boolean hit) {
        record(m -> m.templateLookup(hit));
    }

    @Override
    public void shutdownStep(String step, String result) {
        record(m -> m.shutdownStep(step, result));
    }

    @Override
    public void agentCall(String method, boolean ok, long nanos) {
        record(m -> m.agentCall(method, ok, nanos));
    }

    /** {@code sink} with every event counted on its way to it. */
    public EventSink counting(EventSink sink) {
        return event -> {
            record(m -> m.count(event));
            sink.publish(event);
        };
    }

    @Override
    public synchronized void close() {
        closed = true;
        early.clear();
        podKnown.countDown();
        if (socket != null) {
            socket.close();
        }
    }
}
