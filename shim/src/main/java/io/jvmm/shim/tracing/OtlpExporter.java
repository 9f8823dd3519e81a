package io.jvmm.shim.tracing;

import io.jvmm.api.otlp.collector.ExportTraceServiceRequest;
import io.jvmm.api.otlp.common.InstrumentationScope;
import io.jvmm.api.otlp.resource.Resource;
import io.jvmm.api.otlp.trace.ResourceSpans;
import io.jvmm.api.otlp.trace.ScopeSpans;
import io.jvmm.api.otlp.trace.Span;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sends finished spans to an OTLP/HTTP collector in batches, on a thread of its own: a call's thread only
 * queues its span (never blocks on the collector), a full queue drops spans (counted, logged at the next
 * export), and a collector that is down or slow costs each batch its timeout, never the shim's calls.
 */
final class OtlpExporter {
    private static final Logger LOG = LogManager.getLogger(OtlpExporter.class);
    /** A pod's lifecycle is tens of calls; this holds minutes of them if the collector is away. */
    private static final int QUEUE = 2048;

    private static final int BATCH = 512;
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final OtlpSettings settings;
    private final Resource resource;
    private final ArrayBlockingQueue<Span> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong exported = new AtomicLong();
    private final Thread thread;
    private volatile boolean closing;
    private HttpClient http; // made on the export thread, at its first batch

    OtlpExporter(OtlpSettings settings, Resource resource) {
        this.settings = settings;
        this.resource = resource;
        this.thread = Thread.ofPlatform().daemon(true).name("otlp-export").start(this::run);
    }

    /** Queues {@code span}; drops it when the queue is full. */
    void offer(Span span) {
        if (!queue.offer(span)) {
            dropped.incrementAndGet();
        }
    }

    /** Spans sent and acknowledged so far. */
    long exported() {
        return exported.get();
    }

    private void run() {
        List<Span> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                Span first = closing ? queue.poll() : queue.poll(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                export(batch);
                batch.clear();
            } catch (InterruptedException e) {
                closing = true; // close() gives up waiting: drain what is there once more, then end
            }
        }
    }

    private void export(List<Span> spans) {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LOG.warn("{} spans dropped: the trace export queue was full", lost);
        }
        byte[] body = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(resource)
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .setScope(InstrumentationScope.newBuilder().setName("io.jvmm.shim"))
                                .addAllSpans(spans)))
                .build()
                .toByteArray();
        try {
            if (http == null) {
                http = HttpClient.newBuilder()
                        .connectTimeout(settings.timeout())
                        .build();
            }
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(settings.endpoint())
                            .timeout(settings.timeout())
                            .header("Content-Type", "application/x-protobuf")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                exported.addAndGet(spans.size());
            } else {
                LOG.warn(
                        "the trace collector at {} refused {} spans: HTTP {}",
                        settings.endpoint(),
                        spans.size(),
                        response.statusCode());
            }
        } catch (IOException e) {
            LOG.warn("{} spans not exported to {}: {}", spans.size(), settings.endpoint(), e.toString());
        } catch (InterruptedException e) {
            closing = true;
            LOG.warn("{} spans not exported to {}: the shim is closing", spans.size(), settings.endpoint());
        }
    }

    /** Sends what is queued, waiting {@code timeout} at most; then stops. */
    void close(Duration timeout) {
        closing = true;
        try {
            thread.join(timeout);
            if (thread.isAlive()) {
                thread.interrupt();
                LOG.warn("trace export did not finish within {}: {} spans left", timeout, queue.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
