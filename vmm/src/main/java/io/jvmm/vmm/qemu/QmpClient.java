package io.jvmm.vmm.qemu;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonObject;
import io.jvmm.vmm.VmException;
import java.io.IOException;
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
 * has a deadline; when the connection ends, every pending command fails. A line longer than
 * {@link #MAX_LINE} ends the connection: QEMU runs what the guest drives, and is not trusted to be sane.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(QmpClient.class);

    /** Far above any reply jvmm asks for (query-migrate, query-status: well under 4 KiB). */
    static final int MAX_LINE = 1 << 20;

    private final MonitorSocket socket;
    private final Map<Long, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    /** An asynchronous event from QEMU; {@code data} is empty when the event has none. */
    public record QmpEvent(String name, JsonObject data) {}

    private QmpClient(MonitorSocket socket) {
        this.socket = socket;
    }

    /** Connects, reads the greeting and negotiates capabilities, all within {@code timeout}. */
    public static QmpClient connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        MonitorSocket channel = null;
        try {
            channel = openWhenListening(socket, deadline);
            QmpClient client = new QmpClient(channel);
            CompletableFuture<JsonObject> greeting = new CompletableFuture<>();
            client.pending.put(0L, greeting);
            Thread.ofPlatform().name("qmp-reader").daemon(true).start(client::readLoop);
            client.await(greeting, remaining(deadline), "QMP greeting");
            client.execute("qmp_capabilities", null, remaining(deadline));
            return client;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.shutdown(); // the reader thread, started with the client, ends and closes the descriptor
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new VmException.MonitorError("cannot connect to QMP socket " + socket + ": " + e.getMessage(), e);
        }
    }

    /** QEMU creates the socket file a moment before it listens: retry "refused" until the deadline. */
    private static MonitorSocket openWhenListening(Path socket, long deadline) throws IOException {
        while (true) {
            try {
                return MonitorSocket.connect(socket);
            } catch (IOException e) {
                // refused (111) or no socket file yet (2): QEMU is still starting
                boolean notYet = e.getMessage() != null
                        && (e.getMessage().contains("(errno 111)")
                                || e.getMessage().contains("(errno 2)"));
                if (!notYet || System.nanoTime() > deadline) {
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
        return execute(command, arguments, -1, timeout);
    }

    /**
     * Runs a command that takes a descriptor with it ({@code getfd}, {@code add-fd}): QEMU receives a copy of
     * {@code fd}, which the caller still owns and closes.
     */
    public JsonObject executeWithFd(String command, Map<String, ?> arguments, int fd, Duration timeout) {
        if (fd < 0) {
            throw new IllegalArgumentException("no descriptor to pass with " + command);
        }
        return execute(command, arguments, fd, timeout);
    }

    private JsonObject execute(String command, Map<String, ?> arguments, int fd, Duration timeout) {
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
            byte[] line = (Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8);
            if (fd >= 0) {
                socket.writeWithFd(line, fd);
            } else {
                socket.write(line);
            }
        } catch (IOException e) {
            pending.remove(id);
            throw new VmException.MonitorError("cannot send " + command + " to QMP: " + e.getMessage(), e);
        }
        JsonObject answer = await(reply, timeout, command);
        if (answer.containsKey("error")) {
            JsonObject error = answer.objectOrEmpty("error");
            throw new VmException.MonitorError(
                    "QMP " + command + " failed: " + error.text("class") + ": " + error.text("desc"), null);
        }
        Object value = answer.get("return");
        if (value == null) {
            return new JsonObject();
        }
        if (!(value instanceof JsonObject result)) {
            // Not silently {}: a caller of a command that returns a list or text needs its own method.
            throw new VmException.MonitorError(
                    "QMP " + command + " returned " + Json.write(value) + ", not an object", null);
        }
        return result;
    }

    private JsonObject await(CompletableFuture<JsonObject> reply, Duration timeout, String what) {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new VmException.Timeout("no answer to QMP " + what + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new VmException.MonitorError(
                    "QMP " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmException.MonitorError("interrupted waiting for QMP " + what, e);
        }
    }

    private void readLoop() {
        try (MonitorSocket owned = socket) {
            BoundedLines in = new BoundedLines(owned.input(), MAX_LINE);
            for (String line = in.next(); line != null; line = in.next()) {
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

    /** Ends the connection; the reader sees its end, fails what is pending and releases the socket. */
    @Override
    public void close() {
        socket.shutdown();
    }
}
