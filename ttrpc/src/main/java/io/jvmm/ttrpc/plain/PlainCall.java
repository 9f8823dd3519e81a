package io.jvmm.ttrpc.plain;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.jvmm.ttrpc.CallContext;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.MethodHandler;
import io.jvmm.ttrpc.ResponseSink;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.WireLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;

/**
 * One call on the plain server, run on a thread of its own: a unary answer, or a server stream ended by
 * an empty closing Data frame. It ends exactly once: by its handler, its deadline, the server's shutdown
 * or the connection closing; then it removes itself from its connection.
 */
final class PlainCall<Req extends Message, Resp extends Message> implements CallContext {
    private static final byte[] NOTHING = new byte[0];

    private final PlainConnection connection;
    private final int streamId;
    private final String service;
    private final MethodDefinition<Req, Resp> method;
    private final Metadata metadata;
    private final long deadlineNanos;
    private final Object sendLock = new Object();
    private final List<Runnable> cancelListeners = new ArrayList<>();

    private boolean finished; // guarded by sendLock
    private volatile Status cancelStatus;
    private volatile Thread handlerThread;
    private volatile Future<?> deadlineTimer;

    PlainCall(
            PlainConnection connection,
            int streamId,
            String service,
            MethodDefinition<Req, Resp> method,
            Metadata metadata,
            long timeoutNanos) {
        this.connection = connection;
        this.streamId = streamId;
        this.service = service;
        this.method = method;
        this.metadata = metadata;
        this.deadlineNanos = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
    }

    int streamId() {
        return streamId;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    /** The timer that cancels the call at its deadline; stopped when the call ends first. */
    void armed(Future<?> timer) {
        deadlineTimer = timer;
        synchronized (sendLock) {
            if (finished) {
                timer.cancel(false);
            }
        }
    }

    private void stopDeadline() {
        Future<?> timer = deadlineTimer;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** On the call's own thread: parses the request, runs the handler and sends the terminal frame. */
    void run(ByteString requestPayload) {
        handlerThread = Thread.currentThread();
        try {
            if (cancelStatus != null) {
                return;
            }
            switch (method.handler()) {
                case MethodHandler.Unary<Req, Resp> h -> {
                    Resp response = h.invoke(this, parse(requestPayload));
                    if (response == null) {
                        throw new TtrpcException(Code.INTERNAL, "ttrpc: handler returned no response");
                    }
                    finish(MessageType.RESPONSE, (byte) 0, connection.response(Status.OK, response.toByteString()));
                }
                case MethodHandler.ServerStreaming<Req, Resp> h -> {
                    h.invoke(this, parse(requestPayload), this::send);
                    finish(MessageType.DATA, (byte) (Flags.REMOTE_CLOSED | Flags.NO_DATA), NOTHING);
                }
                // PlainServer refuses services with methods that stream requests.
                case MethodHandler.ClientStreaming<Req, Resp> h -> throw new IllegalStateException(method.name());
                case MethodHandler.BidiStreaming<Req, Resp> h -> throw new IllegalStateException(method.name());
            }
        } catch (Throwable t) {
            Status status = cancelStatus != null ? cancelStatus : Statuses.fromThrowable(t);
            finish(MessageType.RESPONSE, (byte) 0, connection.response(status, ByteString.EMPTY));
        } finally {
            handlerThread = null;
            Thread.interrupted(); // a cancel may have interrupted us after the handler returned
        }
    }

    private Req parse(ByteString payload) {
        try {
            return method.requestParser().parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INVALID_ARGUMENT, "ttrpc: error unmarshalling payload: " + e.getMessage());
        }
    }

    /** The {@link ResponseSink} of a server-streaming handler. */
    private void send(Resp message) {
        byte[] bytes = message.toByteArray();
        if (bytes.length > WireLimits.MAX_DATA_LENGTH) {
            throw new TtrpcException(Code.RESOURCE_EXHAUSTED, WireLimits.oversizeMessage(bytes.length));
        }
        synchronized (sendLock) {
            if (finished) {
                Status status = cancelStatus;
                throw new TtrpcException(
                        status != null ? status : new Status(Code.FAILED_PRECONDITION, "ttrpc: stream closed"));
            }
            connection.write(streamId, MessageType.DATA, (byte) 0, bytes);
        }
    }

    /** Sends the terminal frame unless the call already ended; then forgets the call. */
    private void finish(MessageType type, byte flags, byte[] data) {
        synchronized (sendLock) {
            if (finished) {
                return;
            }
            finished = true;
            connection.write(streamId, type, flags, data);
        }
        stopDeadline();
        connection.callFinished(this);
    }

    /**
     * Ends the call with {@code status} (sent to the peer when {@code notifyPeer}), interrupts the
     * handler and runs the cancel listeners. Safe from any thread, any number of times.
     */
    void cancel(Status status, boolean notifyPeer) {
        synchronized (sendLock) {
            if (finished) {
                return;
            }
            cancelStatus = status;
            finished = true;
            if (notifyPeer) {
                connection.write(
                        streamId, MessageType.RESPONSE, (byte) 0, connection.response(status, ByteString.EMPTY));
            }
        }
        stopDeadline();
        connection.callFinished(this);
        Thread thread = handlerThread;
        if (thread != null) {
            thread.interrupt();
        }
        List<Runnable> listeners;
        synchronized (cancelListeners) {
            listeners = List.copyOf(cancelListeners);
        }
        listeners.forEach(PlainCall::runQuietly);
    }

    private static void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            PlainServer.log().log(System.Logger.Level.WARNING, "cancel listener failed", e);
        }
    }

    @Override
    public String service() {
        return service;
    }

    @Override
    public String method() {
        return method.name();
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public Optional<Duration> timeRemaining() {
        return deadlineNanos == 0
                ? Optional.empty()
                : Optional.of(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
    }

    @Override
    public boolean isCancelled() {
        return cancelStatus != null;
    }

    @Override
    public void checkCancelled() {
        Status status = cancelStatus;
        if (status != null) {
            throw new TtrpcException(status);
        }
    }

    @Override
    public void onCancel(Runnable action) {
        synchronized (cancelListeners) {
            if (cancelStatus == null) {
                cancelListeners.add(action);
                return;
            }
        }
        runQuietly(action);
    }
}
