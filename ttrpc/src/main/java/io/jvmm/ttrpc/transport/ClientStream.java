package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.proto.Response;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.Frame;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * The client's view of one stream id: a unary call completes a future; a streaming call fills an
 * inbox its reader drains. Fed on the event loop; ends exactly once.
 */
public final class ClientStream {
    private final ClientConnection connection;
    private final int id;
    private final MethodKind kind;
    private final CompletableFuture<ByteString> unaryResult;
    private final StreamInbox inbox;
    private volatile ScheduledFuture<?> deadlineTimer;

    ClientStream(ClientConnection connection, int id, MethodKind kind) {
        this.connection = connection;
        this.id = id;
        this.kind = kind;
        this.unaryResult = kind == MethodKind.UNARY ? new CompletableFuture<>() : null;
        this.inbox = kind == MethodKind.UNARY ? null : new StreamInbox(connection.flowControl());
    }

    public int id() {
        return id;
    }

    public MethodKind kind() {
        return kind;
    }

    /** The serialized response of a unary call. */
    public CompletableFuture<ByteString> unaryResult() {
        return unaryResult;
    }

    public StreamInbox inbox() {
        return inbox;
    }

    void deadlineTimer(ScheduledFuture<?> timer) {
        this.deadlineTimer = timer;
    }

    void onFrame(Frame frame) {
        switch (frame.type()) {
            case RESPONSE -> onResponse(frame);
            case DATA -> onData(frame);
            case REQUEST, UNKNOWN -> {
                /* not for a client; ignored as reserved */
            }
        }
    }

    private void onResponse(Frame frame) {
        Response response;
        try {
            response = Response.parseFrom(frame.content().nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            fail(new Status(Code.INTERNAL, "ttrpc: malformed response: " + e.getMessage()));
            return;
        }
        Status status = response.hasStatus() ? Statuses.fromProto(response.getStatus()) : Status.OK;
        if (!status.isOk()) {
            fail(status);
        } else if (unaryResult != null) {
            finish();
            unaryResult.complete(response.getPayload());
        } else {
            // A client-streaming call's answer: one message, then the end.
            if (!kind.serverStreams()) {
                inbox.offerMessage(response.getPayload());
            }
            finish();
            inbox.end();
        }
    }

    private void onData(Frame frame) {
        if (!kind.serverStreams()) {
            fail(new Status(Code.INTERNAL, "received data from non-streaming server: protocol error"));
            return;
        }
        if (!frame.hasFlag(Flags.NO_DATA)) {
            inbox.offerMessage(ByteString.copyFrom(frame.content().nioBuffer()));
        }
        if (frame.hasFlag(Flags.REMOTE_CLOSED)) {
            finish();
            inbox.end();
        }
    }

    /** Ends the stream with an error status; later frames for it are ignored. */
    public void fail(Status status) {
        finish();
        if (unaryResult != null) {
            unaryResult.completeExceptionally(new TtrpcException(status));
        } else {
            inbox.fail(status);
        }
    }

    private void finish() {
        ScheduledFuture<?> timer = deadlineTimer;
        if (timer != null) {
            timer.cancel(false);
        }
        connection.forget(this);
    }
}
