package io.jvmm.ttrpc.plain;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.MethodHandler;
import io.jvmm.ttrpc.ResponseSink;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.transport.ServerCallContext;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.WireLimits;
import java.util.concurrent.Future;

/**
 * One call on the plain server, run on a thread of its own: a unary answer, or a server stream ended by
 * an empty closing Data frame. It ends exactly once: by its handler, its deadline, the server's shutdown
 * or the connection closing; then it removes itself from its connection.
 */
final class PlainCall<Req extends Message, Resp extends Message> extends ServerCallContext<Req, Resp> {
    private static final byte[] NOTHING = new byte[0];

    private final PlainConnection connection;
    private final int streamId;
    private final Object sendLock = new Object();

    private boolean finished; // guarded by sendLock
    private volatile Thread handlerThread;
    private volatile Future<?> deadlineTimer;

    PlainCall(
            PlainConnection connection,
            int streamId,
            String service,
            MethodDefinition<Req, Resp> method,
            Metadata metadata,
            long timeoutNanos) {
        super(service, method, metadata, timeoutNanos);
        this.connection = connection;
        this.streamId = streamId;
    }

    int streamId() {
        return streamId;
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
            if (cancelStatus() != null) {
                return;
            }
            switch (definition().handler()) {
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
                case MethodHandler.ClientStreaming<Req, Resp> h -> throw new IllegalStateException(method());
                case MethodHandler.BidiStreaming<Req, Resp> h -> throw new IllegalStateException(method());
            }
        } catch (Throwable t) {
            Status status = cancelStatus() != null ? cancelStatus() : Statuses.fromThrowable(t);
            finish(MessageType.RESPONSE, (byte) 0, connection.response(status, ByteString.EMPTY));
        } finally {
            handlerThread = null;
            Thread.interrupted(); // a cancel may have interrupted us after the handler returned
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
                Status status = cancelStatus();
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
            markCancelled(status);
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
        runCancelListeners();
    }

    @Override
    protected void cancelListenerFailed(RuntimeException e) {
        PlainServer.log().log(System.Logger.Level.WARNING, "cancel listener failed", e);
    }
}
