package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.proto.Response;
import io.jvmm.ttrpc.wire.WireLimits;

/** The Response message a server sends to end a call; shared by the Netty and the plain server. */
public final class Responses {
    private Responses() {}

    /** {@code status} and {@code payload}; a payload too large to send becomes a RESOURCE_EXHAUSTED status. */
    public static Response of(Status status, ByteString payload) {
        Response response = Response.newBuilder()
                .setStatus(Statuses.toProto(status))
                .setPayload(payload)
                .build();
        if (response.getSerializedSize() <= WireLimits.MAX_DATA_LENGTH) {
            return response;
        }
        Status tooLarge = new Status(Code.RESOURCE_EXHAUSTED, WireLimits.oversizeMessage(response.getSerializedSize()));
        return Response.newBuilder().setStatus(Statuses.toProto(tooLarge)).build();
    }
}
