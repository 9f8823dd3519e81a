package io.jvmm.shim.events;

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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sends task events to containerd (Events/Forward on TTRPC_ADDRESS) in publication order, from one
 * thread and one queue, as containerd's own shims do: up to 2048 waiting, each tried up to five times
 * with a growing pause and a fresh connection, five seconds per call. A containerd that restarts
 * therefore still gets every event that fits in that window.
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(EventPublisher.class);
    static final String SERVICE = "containerd.services.events.ttrpc.v1.Events";
    private static final int QUEUE = 2048;
    private static final int ATTEMPTS = 5;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private record Pending(Envelope envelope) {
    }

    private final Path ttrpcAddress;
    private final String namespace;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE);
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
        Envelope envelope = EventEnvelopes.envelope(namespace, event, Instant.now());
        if (!queue.offer(new Pending(envelope))) {
            LOG.error("event queue full: dropping {} for {}", envelope.getTopic(), event.containerId());
        }
    }

    private void sendLoop() {
        while (!(closing && queue.isEmpty())) {
            try {
                Pending next = queue.poll(100, TimeUnit.MILLISECONDS);
                if (next != null) {
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
                client().unary(SERVICE, "Forward", ForwardRequest.newBuilder().setEnvelope(envelope).build(),
                        com.google.protobuf.Empty.parser(), CallOptions.withTimeout(CALL_TIMEOUT));
                LOG.debug("published {}", envelope.getTopic());
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("publishing {} failed (attempt {} of {}): {}", envelope.getTopic(), attempt, ATTEMPTS, e.getMessage());
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
