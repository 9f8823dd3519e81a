package io.jvmm.shim.events;

import com.google.protobuf.Empty;
import io.jvmm.api.containerd.events.ttrpc.ForwardRequest;
import io.jvmm.api.containerd.types.Envelope;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.TtrpcClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sends task events to containerd (Events/Forward on TTRPC_ADDRESS) in publication order, from one
 * thread and one queue, as containerd's own shims do: each tried up to five times with a growing pause
 * and a fresh connection, five seconds per call. A containerd that restarts therefore still gets them.
 *
 * <p>The queue holds every lifecycle event (create, start, exit, delete, ...): they come one per call
 * containerd made or per process that ended, so their number is bounded by containerd's own work, and an
 * exit or a delete that went missing would leave containerd waiting for good. The one kind the guest can
 * make at will, OOM, is coalesced: at most one waits per container, and at most one per container a second
 * is queued at all (a flood of OOM kills tells containerd no more than one does, and would otherwise keep
 * containerd publishing as fast as it can).
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(EventPublisher.class);
    static final String SERVICE = "containerd.services.events.ttrpc.v1.Events";
    private static final int ATTEMPTS = 5;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    /** At most one OOM event per container in this time. */
    static final Duration OOM_INTERVAL = Duration.ofSeconds(1);

    private record Pending(Envelope envelope, Optional<String> oomOf) {}

    private final Path ttrpcAddress;
    private final String namespace;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Containers with an OOM event waiting in the queue. */
    private final Set<String> oomWaiting = ConcurrentHashMap.newKeySet();
    /** When each container's last OOM event was queued (System.nanoTime), until the container is deleted. */
    private final Map<String, Long> oomQueuedAt = new ConcurrentHashMap<>();

    private final Thread sender;
    private final Duration retryPause;
    private volatile boolean closing;
    private TtrpcClient client;

    public EventPublisher(Path ttrpcAddress, String namespace) {
        this(ttrpcAddress, namespace, Duration.ofSeconds(1));
    }

    EventPublisher(Path ttrpcAddress, String namespace, Duration retryPause) {
        this.ttrpcAddress = ttrpcAddress;
        this.namespace = namespace;
        this.retryPause = retryPause;
        this.sender = Thread.ofPlatform().daemon(true).name("event-publisher").start(this::sendLoop);
    }

    @Override
    public void publish(TaskEvent event) {
        if (event instanceof TaskEvent.Oom oom && !oomIsNews(oom.containerId())) {
            LOG.debug("OOM of {} coalesced with the one before", oom.containerId());
            return;
        }
        if (event instanceof TaskEvent.Deleted deleted) {
            oomQueuedAt.remove(deleted.containerId());
        }
        Envelope envelope = EventEnvelopes.envelope(namespace, event, Instant.now());
        queue.add(new Pending(
                envelope, event instanceof TaskEvent.Oom oom ? Optional.of(oom.containerId()) : Optional.empty()));
    }

    /** Whether an OOM of {@code containerId} is to be queued: none waits, and none was queued in the last interval. */
    private boolean oomIsNews(String containerId) {
        long now = System.nanoTime();
        Long last = oomQueuedAt.get(containerId);
        if (last != null && now - last < OOM_INTERVAL.toNanos()) {
            return false;
        }
        if (!oomWaiting.add(containerId)) {
            return false;
        }
        oomQueuedAt.put(containerId, now);
        return true;
    }

    private void sendLoop() {
        while (!(closing && queue.isEmpty())) {
            try {
                Pending next = queue.poll(100, TimeUnit.MILLISECONDS);
                if (next != null) {
                    next.oomOf().ifPresent(oomWaiting::remove); // an OOM after this one is news again
                    send(next.envelope());
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void send(Envelope envelope) throws InterruptedException {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                client().unary(
                                SERVICE,
                                "Forward",
                                ForwardRequest.newBuilder()
                                        .setEnvelope(envelope)
                                        .build(),
                                Empty.parser(),
                                CallOptions.withTimeout(CALL_TIMEOUT));
                LOG.debug("published {}", envelope.getTopic());
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "publishing {} failed (attempt {} of {}): {}",
                        envelope.getTopic(),
                        attempt,
                        ATTEMPTS,
                        e.getMessage());
                dropClient();
                Thread.sleep(retryPause.toMillis() * attempt);
            }
        }
        LOG.error("gave up publishing {} after {} attempts", envelope.getTopic(), ATTEMPTS);
    }

    private TtrpcClient client() throws IOException {
        if (client == null || !client.isOpen()) {
            dropClient();
            client = TtrpcClient.connect(ttrpcAddress, CALL_TIMEOUT);
        }
        return client;
    }

    private void dropClient() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    /** Sends what is queued (up to {@code timeout}), then closes the connection. */
    public void close(Duration timeout) {
        closing = true;
        try {
            sender.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.interrupt();
        if (!queue.isEmpty()) {
            LOG.warn("{} events not delivered at exit", queue.size());
        }
        dropClient();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
