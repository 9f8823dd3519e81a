package io.jvmm.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.vmm.VmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A QMP client: one connection to QEMU's monitor socket. Replies are matched to commands by the id
 * we send, because events (SHUTDOWN, STOP, RESUME, ...) arrive interleaved with them. Every command
 * has a deadline; when the connection ends, every pending command fails.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(QmpClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final OutputStream out;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    /** An asynchronous event from QEMU. */
    public record QmpEvent(String name, JsonNode data) {
    }

    private QmpClient(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects, reads the greeting and negotiates capabilities, all within {@code timeout}. */
    public static QmpClient connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel channel = null;
        try {
            channel = openWhenListening(socket, deadline);
            QmpClient client = new QmpClient(channel);
            CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
            client.pending.put(0L, greeting);
            Thread.ofPlatform().name("qmp-reader").daemon(true).start(client::readLoop);
            client.await(greeting, remaining(deadline), "QMP greeting");
            client.execute("qmp_capabilities", null, remaining(deadline));
            return client;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new VmException.MonitorError("cannot connect to QMP socket " + socket + ": " + e.getMessage(), e);
        }
    }

    /** QEMU creates the socket file a moment before it listens: retry "refused" until the deadline. */
    private static SocketChannel openWhenListening(Path socket, long deadline) throws IOException {
        while (true) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
                return channel;
            } catch (java.net.ConnectException e) {
                channel.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ie);
                }
            }
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    public void onEvent(Consumer<QmpEvent> listener) {
        listeners.add(listener);
    }

    /** Completes when QEMU closes the monitor connection (for example when it exits). */
    public CompletableFuture<Void> closedFuture() {
        return closed;
    }

    /** Runs a command and returns its "return" value; QMP errors become {@link VmException.MonitorError}. */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        long id = nextId.getAndIncrement();
        ObjectNode request = JSON.createObjectNode().put("execute", command).put("id", id);
        if (arguments != null && !arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        if (closed.isDone()) {
            pending.remove(id);
            throw new VmException.MonitorError("QMP connection is closed; cannot run " + command, null);
        }
        try {
            synchronized (out) {
                out.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            pending.remove(id);
            throw new VmException.MonitorError("cannot send " + command + " to QMP: " + e.getMessage(), e);
        }
        JsonNode answer = await(reply, timeout, command);
        if (answer.has("error")) {
            JsonNode error = answer.get("error");
            throw new VmException.MonitorError("QMP " + command + " failed: " + error.path("class").asText()
                    + ": " + error.path("desc").asText(), null);
        }
        return answer.path("return");
    }

    private JsonNode await(CompletableFuture<JsonNode> reply, Duration timeout, String what) {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new VmException.Timeout("no answer to QMP " + what + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new VmException.MonitorError("QMP " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmException.MonitorError("interrupted waiting for QMP " + what, e);
        }
    }

    private void readLoop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                dispatch(JSON.readTree(line));
            }
        } catch (IOException e) {
            LOG.debug("QMP connection ended: {}", e.getMessage());
        } finally {
            closed.complete(null);
            IOException gone = new IOException("QMP connection closed");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
        }
    }

    private void dispatch(JsonNode message) {
        if (message.has("QMP")) {
            complete(0L, message);
        } else if (message.has("event")) {
            QmpEvent event = new QmpEvent(message.get("event").asText(), message.path("data"));
            for (Consumer<QmpEvent> listener : listeners) {
                try {
                    listener.accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("QMP event listener failed on {}", event.name(), e);
                }
            }
        } else if (message.has("id")) {
            complete(message.get("id").asLong(), message);
        } else {
            LOG.debug("unmatched QMP message: {}", message);
        }
    }

    private void complete(long id, JsonNode message) {
        CompletableFuture<JsonNode> f = pending.remove(id);
        if (f != null) {
            f.complete(message);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
