package io.jvmm.vmm.qemu;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonObject;
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

    private final SocketChannel channel;
    private final OutputStream out;
    private final Map<Long, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    /** An asynchronous event from QEMU; {@code data} is empty when the event has none. */
    public record QmpEvent(String name, JsonObject data) {
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
            CompletableFuture<JsonObject> greeting = new CompletableFuture<>();
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

    /**
     * Runs a command that returns an object (as every command jvmm sends does; most return {}) and returns
     * it; QMP errors, and a return value that is no object, become {@link VmException.MonitorError}.
     */
    public JsonObject execute(String command, Map<String, ?> arguments, Duration timeout) {
        long id = nextId.getAndIncrement();
        JsonObject request = new JsonObject();
        request.put("execute", command);
        request.put("id", id);
        if (arguments != null && !arguments.isEmpty()) {
            request.put("arguments", arguments);
        }
        CompletableFuture<JsonObject> reply = new CompletableFuture<>();
        pending.put(id, reply);
        if (closed.isDone()) {
            pending.remove(id);
            throw new VmException.MonitorError("QMP connection is closed; cannot run " + command, null);
        }
        try {
            synchronized (out) {
                out.write((Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            pending.remove(id);
            throw new VmException.MonitorError("cannot send " + command + " to QMP: " + e.getMessage(), e);
        }
        JsonObject answer = await(reply, timeout, command);
        if (answer.containsKey("error")) {
            JsonObject error = answer.objectOrEmpty("error");
            throw new VmException.MonitorError("QMP " + command + " failed: " + error.text("class")
                    + ": " + error.text("desc"), null);
        }
        Object value = answer.get("return");
        if (value == null) {
            return new JsonObject();
        }
        if (!(value instanceof JsonObject result)) {
            // Not silently {}: a caller of a command that returns a list or text needs its own method.
            throw new VmException.MonitorError("QMP " + command + " returned " + Json.write(value) + ", not an object", null);
        }
        return result;
    }

    private JsonObject await(CompletableFuture<JsonObject> reply, Duration timeout, String what) {
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
                if (Json.parse(line) instanceof JsonObject message) {
                    dispatch(message);
                } else {
                    LOG.debug("QMP message that is no object: {}", line);
                }
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

    private void dispatch(JsonObject message) {
        if (message.containsKey("QMP")) {
            complete(0L, message);
        } else if (message.containsKey("event")) {
            QmpEvent event = new QmpEvent(message.text("event"), message.objectOrEmpty("data"));
            for (Consumer<QmpEvent> listener : listeners) {
                try {
                    listener.accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("QMP event listener failed on {}", event.name(), e);
                }
            }
        } else if (message.containsKey("id")) {
            complete(message.number("id", -1), message);
        } else {
            LOG.debug("unmatched QMP message: {}", Json.write(message));
        }
    }

    private void complete(long id, JsonObject message) {
        CompletableFuture<JsonObject> f = pending.remove(id);
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
