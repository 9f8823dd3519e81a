package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Dispatch;
import io.jvmm.ttrpc.EndedCall;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.MethodHandler;
import io.jvmm.ttrpc.RequestStream;
import io.jvmm.ttrpc.ResponseSink;
import io.jvmm.ttrpc.StartedCall;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.MessageType;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One call on the server: the handler's context, its inbound messages and its single terminal answer.
 * The call ends exactly once — by the handler returning or failing, by its deadline, or by the
 * connection going away — and removes itself from its connection then.
 */
final class ServerCall<Req extends Message, Resp extends Message> extends ServerCallContext<Req, Resp> {
    private static final Logger LOG = LogManager.getLogger(ServerCall.class);

    private final ServerConnection connection;
    private final int streamId;
    private final StreamInbox inbox;
    private final Object sendLock = new Object();

    private final long startNanos = System.nanoTime();
    private final Instant start = Instant.now();
    private volatile boolean finished;
    private volatile Thread handlerThread;
    /** What the server's observer keeps of this call while its handler runs (NONE until then). */
    private volatile CallObserver.Scope scope = CallObserver.Scope.NONE;

    private ScheduledFuture<?> deadlineTimer;

    ServerCall(
            ServerConnection connection,
            int streamId,
            String service,
            MethodDefinition<Req, Resp> method,
            Metadata metadata,
            long timeoutNanos) {
        super(service, method, metadata, timeoutNanos);
        this.connection = connection;
        this.streamId = streamId;
        this.inbox = method.kind().clientStreams() ? new StreamInbox(connection.flowControl()) : null;
    }

    int streamId() {
        return streamId;
    }

    boolean acceptsData() {
        return inbox != null;
    }

    /** Event loop: arms the deadline, queues the first message, hands the call to a handler thread. */
    void start(ByteString requestPayload) {
        if (deadlineNanos() != 0) {
            long delay = deadlineNanos() - System.nanoTime();
            deadlineTimer = connection
                    .channel()
                    .eventLoop()
                    .schedule(
                            () -> connection
                                    .executor()
                                    .execute(() -> cancel(
                                            new Status(Code.DEADLINE_EXCEEDED, "context deadline exceeded"), true)),
                            delay,
                            TimeUnit.NANOSECONDS);
        }
        if (inbox != null && !requestPayload.isEmpty()) {
            inbox.offerMessage(requestPayload);
        }
        if (definition().dispatch() == Dispatch.EVENT_LOOP) {
            run(requestPayload);
        } else {
            connection.executor().execute(() -> run(requestPayload));
        }
    }

    /** Event loop: a Data frame for this stream. */
    void onData(Frame frame) {
        if (inbox.isClosed()) {
            connection.sendStatus(
                    streamId, new Status(Code.INVALID_ARGUMENT, "data handling error: ttrpc: stream closed"));
            return;
        }
        if (!frame.hasFlag(Flags.NO_DATA)) {
            inbox.offerMessage(ByteString.copyFrom(frame.content().nioBuffer()));
        }
        if (frame.hasFlag(Flags.REMOTE_CLOSED)) {
            inbox.end();
        }
    }

    private void run(ByteString requestPayload) {
        // An event-loop handler is never interrupted: the interrupt would hit the I/O thread.
        handlerThread = definition().dispatch() == Dispatch.WORKER ? Thread.currentThread() : null;
        try {
            if (cancelStatus() != null) {
                return;
            }
            scope = handling();
            switch (definition().handler()) {
                case MethodHandler.Unary<Req, Resp> h -> finishWithResponse(h.invoke(this, parse(requestPayload)));
                case MethodHandler.ServerStreaming<Req, Resp> h -> {
                    h.invoke(this, parse(requestPayload), sink());
                    finishStream();
                }
                case MethodHandler.ClientStreaming<Req, Resp> h -> finishWithResponse(h.invoke(this, requestStream()));
                case MethodHandler.BidiStreaming<Req, Resp> h -> {
                    h.invoke(this, requestStream(), sink());
                    finishStream();
                }
            }
        } catch (Throwable t) {
            Status status = cancelStatus() != null ? cancelStatus() : Statuses.fromThrowable(t);
            if (status.code() == Code.UNKNOWN || status.code() == Code.INTERNAL) {
                LOG.debug("{}/{} failed", service(), definition().name(), t);
            }
            finish(Frames.response(streamId, status, ByteString.EMPTY), status.code());
        } finally {
            closeScope();
            if (handlerThread != null) {
                handlerThread = null;
                Thread.interrupted(); // a cancel may have interrupted us; do not leak it into the pool
            }
        }
    }

    private void finishWithResponse(Resp response) {
        if (response == null) {
            throw new TtrpcException(Code.INTERNAL, "ttrpc: handler returned no response");
        }
        finish(Frames.response(streamId, Status.OK, response.toByteString()), Code.OK);
    }

    /** A streaming server's successful end: a Data frame that closes the stream and carries nothing. */
    private void finishStream() {
        finish(Frame.empty(streamId, MessageType.DATA, (byte) (Flags.REMOTE_CLOSED | Flags.NO_DATA)), Code.OK);
    }

    /** Sends the terminal frame unless the call already ended; then forgets the call. */
    private void finish(Frame last, Code code) {
        synchronized (sendLock) {
            if (finished) {
                last.release();
                return;
            }
            finished = true;
        }
        // The observer first: whoever has the answer can count on the observer having been told (no frame
        // of this call can follow: every other sender checks finished under the lock).
        observe(code);
        connection.write(last);
        cleanUp();
    }

    /** What the observer threw is logged and ignored: the call's answer never depends on it. */
    private void observerFailed(RuntimeException e) {
        LOG.warn(
                "the call observer failed on {}/{}: {}", service(), definition().name(), e.toString());
    }

    /** Tells the server's observer the handler runs now, on this thread; what it throws is logged and ignored. */
    private CallObserver.Scope handling() {
        try {
            return connection
                    .observer()
                    .handling(new StartedCall(service(), definition().name(), metadata()));
        } catch (RuntimeException e) {
            observerFailed(e);
            return CallObserver.Scope.NONE;
        }
    }

    private void closeScope() {
        try {
            scope.close();
        } catch (RuntimeException e) {
            observerFailed(e);
        }
    }

    /** Tells the server's observer how the call ended (once: only the caller that set {@code finished}). */
    private void observe(Code code) {
        try {
            connection
                    .observer()
                    .ended(new EndedCall(
                            service(),
                            definition().name(),
                            metadata(),
                            code,
                            start,
                            System.nanoTime() - startNanos,
                            scope));
        } catch (RuntimeException e) {
            observerFailed(e);
        }
    }

    /**
     * Ends the call with {@code status} (sent to the peer when {@code notifyPeer}) and interrupts the
     * handler. Safe from any thread, any number of times.
     */
    void cancel(Status status, boolean notifyPeer) {
        synchronized (sendLock) {
            if (finished) {
                return;
            }
            markCancelled(status);
            finished = true;
            if (notifyPeer) {
                connection.write(Frames.response(streamId, status, ByteString.EMPTY));
            }
        }
        cleanUp();
        observe(status.code());
        Thread thread = handlerThread;
        if (thread != null) {
            thread.interrupt();
        }
        runCancelListeners();
    }

    private void cleanUp() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
        }
        if (inbox != null) {
            inbox.fail(cancelStatus() != null ? cancelStatus() : new Status(Code.CANCELLED, "call finished"));
        }
        connection.callFinished(this);
    }

    private RequestStream<Req> requestStream() {
        return () -> switch (inbox.take(deadlineNanos(), this::cancelStatus)) {
            case StreamInbox.Item.Message m -> Optional.of(parse(m.bytes()));
            case StreamInbox.Item.End e -> Optional.empty();
            case StreamInbox.Item.Failure f -> throw new TtrpcException(f.status());
        };
    }

    private ResponseSink<Resp> sink() {
        return message -> {
            ByteString bytes = message.toByteString();
            Frames.checkSize(bytes.size());
            connection.gate().awaitWritable(deadlineNanos(), this::cancelStatus);
            synchronized (sendLock) {
                if (finished) {
                    throw new TtrpcException(
                            cancelStatus() != null
                                    ? cancelStatus()
                                    : new Status(Code.FAILED_PRECONDITION, "ttrpc: stream closed"));
                }
                connection.write(Frames.data(streamId, (byte) 0, bytes));
            }
        };
    }

    @Override
    protected void cancelListenerFailed(RuntimeException e) {
        LOG.warn("cancel listener failed", e);
    }
}
