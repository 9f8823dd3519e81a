package io.jvmm.ttrpc.plain;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.jvmm.sys.VsockStream;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.transport.RequestChecks;
import io.jvmm.ttrpc.transport.Responses;
import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.OversizedFrame;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One connection of the plain server: its thread reads frames and validates them as the reference
 * server does (and as the Netty server's {@code ServerConnection}), starts each call on a thread of its
 * own, and cancels the calls in flight when the peer goes away.
 */
final class PlainConnection {
    private static final Status GONE = new Status(Code.CANCELLED, "ttrpc: connection closed");

    private final PlainServer server;
    private final VsockStream stream;
    private final FrameWriter writer;
    private final Map<Integer, PlainCall<?, ?>> calls = new ConcurrentHashMap<>();
    private final RequestChecks checks;

    PlainConnection(PlainServer server, VsockStream stream) {
        this.server = server;
        this.stream = stream;
        this.writer = new FrameWriter(stream.outputStream());
        this.checks = new RequestChecks(server.services());
    }

    int activeCalls() {
        return calls.size();
    }

    /** The connection's thread: serves frames until the peer closes or the server closes the stream. */
    void serve() {
        FrameReader reader = new FrameReader(new BufferedInputStream(stream.inputStream(), 16 * 1024));
        try {
            for (Object in = reader.next(); in != null; in = reader.next()) {
                switch (in) {
                    case OversizedFrame o -> sendStatus(o.streamId(), new Status(Code.RESOURCE_EXHAUSTED, o.message()));
                    case PlainFrame f -> onFrame(f);
                    default -> throw new IllegalStateException(in.getClass().getName());
                }
            }
        } catch (IOException e) {
            PlainServer.log().log(Level.DEBUG, "connection ended: {0}", e.getMessage());
        } finally {
            // Nobody can receive an answer now, so calls are cancelled without one.
            List.copyOf(calls.values()).forEach(call -> call.cancel(GONE, false));
            stream.close();
            server.connectionClosed(this);
        }
    }

    private void onFrame(PlainFrame frame) {
        int id = frame.streamId();
        if ((id & 1) == 0) {
            sendStatus(id, new Status(Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams"));
            return;
        }
        switch (frame.type()) {
            case REQUEST -> onRequest(frame);
            // No method of this server takes Data frames from the client.
            case DATA ->
                sendStatus(
                        id,
                        calls.containsKey(id)
                                ? new Status(
                                        Code.INVALID_ARGUMENT, "data handling error: method does not stream requests")
                                : new Status(Code.INVALID_ARGUMENT, "StreamID is no longer active"));
            // Responses are never sent to a server; unknown types are reserved for future use.
            case RESPONSE, UNKNOWN -> {}
        }
    }

    private void onRequest(PlainFrame frame) {
        switch (checks.check(frame.streamId(), ByteBuffer.wrap(frame.data()), server.draining())) {
            case RequestChecks.Refused r -> sendStatus(frame.streamId(), r.status());
            case RequestChecks.Accepted a -> {
                PlainCall<?, ?> call = newCall(frame.streamId(), a.request(), a.method());
                calls.put(frame.streamId(), call);
                server.start(call, a.request().getPayload());
            }
        }
    }

    private <Q extends Message, R extends Message> PlainCall<Q, R> newCall(
            int streamId, Request request, MethodDefinition<Q, R> method) {
        return new PlainCall<>(
                this,
                streamId,
                request.getService(),
                method,
                Metadata.fromWire(request.getMetadataList()),
                request.getTimeoutNano());
    }

    void callFinished(PlainCall<?, ?> call) {
        calls.remove(call.streamId(), call);
        server.callFinished();
    }

    byte[] response(Status status, ByteString payload) {
        return Responses.of(status, payload).toByteArray();
    }

    private void sendStatus(int streamId, Status status) {
        write(streamId, MessageType.RESPONSE, (byte) 0, response(status, ByteString.EMPTY));
    }

    /** A frame to the peer; a broken connection is left for the reading thread to find and end. */
    void write(int streamId, MessageType type, byte flags, byte[] data) {
        try {
            writer.write(streamId, type.code(), flags, data);
        } catch (IOException e) {
            PlainServer.log().log(Level.DEBUG, "cannot write to the peer: {0}", e.getMessage());
            stream.shutdownBoth();
        }
    }

    /** Ends every call in flight with {@code status}, sent to the peer; the end of a graceful shutdown. */
    void cancelAll(Status status) {
        List.copyOf(calls.values()).forEach(call -> call.cancel(status, true));
    }

    /** Wakes the reading thread, which then cancels what is left and closes the stream. */
    void close() {
        stream.shutdownBoth();
    }
}
