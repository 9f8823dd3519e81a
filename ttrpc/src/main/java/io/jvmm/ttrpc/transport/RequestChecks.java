package io.jvmm.ttrpc.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.proto.Request;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The checks the reference server makes on a connection's Request frames, in its order and with its
 * messages: stream ids only increase, the request parses, the server is not draining, the service and
 * method exist. One per connection; shared by the Netty server and the plain one.
 */
public final class RequestChecks {
    /** What a Request frame leads to: a call to start, or a status to answer on its stream. */
    public sealed interface Outcome {}

    public record Accepted(Request request, MethodDefinition<?, ?> method) implements Outcome {}

    public record Refused(Status status) implements Outcome {}

    private final Map<String, ServiceDefinition> services;
    private long lastStreamId;

    public RequestChecks(Map<String, ServiceDefinition> services) {
        this.services = services;
    }

    /** Checks the Request frame of stream {@code streamId} carrying {@code data}; on its connection's thread. */
    public Outcome check(int streamId, ByteBuffer data, boolean draining) {
        long id = Integer.toUnsignedLong(streamId);
        if (id <= lastStreamId) {
            return refused(Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment");
        }
        lastStreamId = id;
        Request request;
        try {
            request = Request.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            return refused(Code.INVALID_ARGUMENT, "unmarshal request error: " + e.getMessage());
        }
        if (draining) {
            return refused(Code.UNAVAILABLE, "ttrpc: server shutting down");
        }
        ServiceDefinition service = services.get(request.getService());
        if (service == null) {
            return refused(Code.UNIMPLEMENTED, "service " + request.getService());
        }
        MethodDefinition<?, ?> method = service.method(request.getMethod()).orElse(null);
        if (method == null) {
            return refused(Code.UNIMPLEMENTED, "method " + request.getMethod());
        }
        return new Accepted(request, method);
    }

    private static Refused refused(Code code, String message) {
        return new Refused(new Status(code, message));
    }
}
