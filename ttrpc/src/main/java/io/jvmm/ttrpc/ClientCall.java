package io.jvmm.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.ttrpc.transport.ClientConnection;
import io.jvmm.ttrpc.transport.ClientStream;
import io.jvmm.ttrpc.transport.Frames;
import io.jvmm.ttrpc.transport.StreamInbox;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.MessageType;
import java.util.Optional;

/**
 * A streaming call from the client: send messages (client and bidirectional streaming), close the
 * sending side, and receive messages until the server ends the stream. One sender and one receiver
 * thread at a time.
 */
public final class ClientCall<Req extends Message, Resp extends Message> implements ResponseSink<Req> {
    private final ClientConnection connection;
    private final ClientStream stream;
    private final Parser<Resp> parser;
    private final long deadlineNanos;
    private volatile boolean sendClosed;
    private volatile Status localCancel;

    ClientCall(ClientConnection connection, ClientStream stream, Parser<Resp> parser, long deadlineNanos) {
        this.connection = connection;
        this.stream = stream;
        this.parser = parser;
        this.deadlineNanos = deadlineNanos;
        this.sendClosed = !stream.kind().clientStreams();
    }

    public int streamId() {
        return stream.id();
    }

    @Override
    public void send(Req message) {
        if (sendClosed) {
            throw new TtrpcException(Code.FAILED_PRECONDITION, "ttrpc: stream closed for sending");
        }
        ByteString bytes = message.toByteString();
        Frames.checkSize(bytes.size());
        connection.gate().awaitWritable(deadlineNanos, () -> localCancel);
        connection.write(Frames.data(stream.id(), (byte) 0, bytes));
    }

    /** Tells the server no more messages follow. */
    public void closeSend() {
        if (sendClosed) {
            return;
        }
        sendClosed = true;
        connection.write(Frame.empty(stream.id(), MessageType.DATA, (byte) (Flags.REMOTE_CLOSED | Flags.NO_DATA)));
    }

    /** The next message from the server; empty when the server ended the stream successfully. */
    public Optional<Resp> receive() {
        return switch (stream.inbox().take(deadlineNanos, () -> localCancel)) {
            case StreamInbox.Item.Message m -> Optional.of(parse(m.bytes()));
            case StreamInbox.Item.End e -> Optional.empty();
            case StreamInbox.Item.Failure f -> throw new TtrpcException(f.status());
        };
    }

    /** For client-streaming calls: closes the sending side and waits for the single answer. */
    public Resp finish() {
        closeSend();
        Resp response = receive()
                .orElseThrow(() -> new TtrpcException(Code.INTERNAL, "ttrpc: stream ended without a response"));
        receive(); // the end of the stream, or its error
        return response;
    }

    /** Abandons the call locally; the server is not told (ttrpc has no cancel frame). */
    public void cancel() {
        localCancel = new Status(Code.CANCELLED, "context canceled");
        stream.fail(localCancel);
    }

    private Resp parse(ByteString bytes) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INTERNAL, "ttrpc: error unmarshalling payload: " + e.getMessage());
        }
    }
}
