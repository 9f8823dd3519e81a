package io.jvmm.shim.metrics;

import io.jvmm.shim.cli.TopLevelAnnotations;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.guest.ContainerStats;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shim server's metrics, made on a thread of their own once the server is up, so that nothing of them
 * (the registry's classes, the socket) stands between containerd and the shim's first answer. Calls and
 * events that end before they are ready (the first milliseconds: containerd's Connect) are not counted.
 * The owner of the registry and its socket: {@link #close} removes the socket.
 */
public final class LateMetrics implements CallObserver, SandboxObserver, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(LateMetrics.class);
    /** Where CRI names the pod a sandbox runs. */
    private static final Map<String, String> POD_LABELS = Map.of(
            "io.kubernetes.cri.sandbox-name", "pod_name", "io.kubernetes.cri.sandbox-namespace", "pod_namespace");

    private volatile ShimMetrics metrics;
    private volatile Supplier<Map<String, ContainerStats>> guestStats = Map::of;
    private volatile MetricsSocket socket;
    private volatile boolean closed;

    private LateMetrics() {}

    /**
     * Starts making the metrics of sandbox {@code sandboxId} in containerd namespace {@code namespace}
     * (pod labels from {@code bundle}'s spec where CRI set them), served on {@code socketPath}.
     */
    public static LateMetrics start(
            String sandboxId, String namespace, Path bundle, Path socketPath, Supplier<List<Long>> vmProcesses) {
        LateMetrics late = new LateMetrics();
        Thread.ofPlatform().daemon(true).name("metrics-start").start(() -> {
            try {
                late.ready(
                        new ShimMetrics(labels(sandboxId, namespace, bundle), vmProcesses, () -> late.guestStats.get()),
                        socketPath);
            } catch (IOException | RuntimeException e) {
                LOG.warn("this shim serves no metrics: {}", e.getMessage());
            }
        });
        return late;
    }

    private synchronized void ready(ShimMetrics made, Path socketPath) throws IOException {
        if (closed) {
            return;
        }
        metrics = made;
        socket = MetricsSocket.serve(socketPath, made::scrape);
    }

    /** Metrics off: nothing is made, counted or served. */
    public static LateMetrics none() {
        return new LateMetrics();
    }

    static Map<String, String> labels(String sandboxId, String namespace, Path bundle) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("sandbox_id", sandboxId);
        labels.put("namespace", namespace);
        try {
            Map<String, String> annotations = TopLevelAnnotations.of(bundle.resolve("config.json"));
            POD_LABELS.forEach((annotation, label) -> {
                String value = annotations.getOrDefault(annotation, "");
                if (!value.isEmpty()) {
                    labels.put(label, value);
                }
            });
        } catch (IOException e) {
            // No spec (a sandbox made through the Sandbox service): no pod labels beyond the id.
        }
        return labels;
    }

    @Override
    public void callEnded(String service, String method, Code code, long nanos) {
        ShimMetrics m = metrics;
        if (m != null) {
            m.callEnded(service, method, code, nanos);
        }
    }

    /** Where the guest's numbers for each container come from (the task service, once it exists). */
    public void watchGuest(Supplier<Map<String, ContainerStats>> stats) {
        guestStats = stats;
    }

    @Override
    public void vmStarted(Start how, long monitorNanos, long agentNanos) {
        ShimMetrics m = metrics;
        if (m != null) {
            m.vmStarted(how, monitorNanos, agentNanos);
        }
    }

    @Override
    public void templateLookup(boolean hit) {
        ShimMetrics m = metrics;
        if (m != null) {
            m.templateLookup(hit);
        }
    }

    @Override
    public void shutdownStep(String step, String result) {
        ShimMetrics m = metrics;
        if (m != null) {
            m.shutdownStep(step, result);
        }
    }

    @Override
    public void agentCall(String method, boolean ok, long nanos) {
        ShimMetrics m = metrics;
        if (m != null) {
            m.agentCall(method, ok, nanos);
        }
    }

    /** {@code sink} with every event counted (once the metrics are ready) on its way to it. */
    public EventSink counting(EventSink sink) {
        return event -> {
            ShimMetrics m = metrics;
            if (m != null) {
                m.count(event);
            }
            sink.publish(event);
        };
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (socket != null) {
            socket.close();
        }
    }
}
