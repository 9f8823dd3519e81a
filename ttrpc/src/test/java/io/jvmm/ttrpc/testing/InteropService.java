package io.jvmm.ttrpc.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.interop.InteropProto;
import java.util.Optional;

/** The Java twin of the Go peer's service (src/test/go/ttrpcpeer/service.go). */
public final class InteropService {
    public static final String NAME = "jvmm.interop.v1.Echo";

    private InteropService() {}

    public static ServiceDefinition definition() {
        return definition(false);
    }

    /** With {@code nonBlockingEcho}, Echo runs on the I/O thread ({@link io.jvmm.ttrpc.Dispatch#EVENT_LOOP}). */
    public static ServiceDefinition definition(boolean nonBlockingEcho) {
        return unaryAndServerStreaming(
                        ServiceDefinition.builder(InteropProto.getDescriptor().findServiceByName("Echo")),
                        nonBlockingEcho)
                .clientStreaming("Concat", StringValue.parser(), (ctx, in) -> {
                    StringBuilder sb = new StringBuilder();
                    for (Optional<StringValue> m = in.next(); m.isPresent(); m = in.next()) {
                        sb.append(m.get().getValue());
                    }
                    return StringValue.of(sb.toString());
                })
                .bidiStreaming("Chat", StringValue.parser(), (ctx, in, out) -> {
                    for (Optional<StringValue> m = in.next(); m.isPresent(); m = in.next()) {
                        out.send(StringValue.of("echo:" + m.get().getValue()));
                    }
                })
                .build();
    }

    /** The unary and server-streaming methods alone: what the plain server serves. */
    public static ServiceDefinition withoutRequestStreams() {
        return unaryAndServerStreaming(ServiceDefinition.builder(NAME), false).build();
    }

    private static ServiceDefinition.Builder unaryAndServerStreaming(
            ServiceDefinition.Builder builder, boolean nonBlockingEcho) {
        if (nonBlockingEcho) {
            builder.unaryNonBlocking("Echo", BytesValue.parser(), (ctx, req) -> req);
        } else {
            builder.unary("Echo", BytesValue.parser(), (ctx, req) -> req);
        }
        return builder.unary(
                        "Metadata",
                        StringValue.parser(),
                        (ctx, req) ->
                                StringValue.of(String.join(",", ctx.metadata().getAll(req.getValue()))))
                .unary("Fail", StringValue.parser(), (ctx, req) -> {
                    String[] parts = req.getValue().split(":", 2);
                    throw new TtrpcException(
                            Code.fromValue(Integer.parseInt(parts[0])), parts.length > 1 ? parts[1] : "");
                })
                .unary("Sleep", Int64Value.parser(), (ctx, req) -> {
                    Thread.sleep(req.getValue());
                    return req;
                })
                .unary(
                        "Sized",
                        Int64Value.parser(),
                        (ctx, req) -> BytesValue.of(ByteString.copyFrom(new byte[(int) req.getValue()])))
                .serverStreaming("Count", Int64Value.parser(), (ctx, req, out) -> {
                    for (long i = 0; i < req.getValue(); i++) {
                        out.send(StringValue.of(Long.toString(i)));
                    }
                })
                .serverStreaming("FailAfter", Int64Value.parser(), (ctx, req, out) -> {
                    for (long i = 0; i < req.getValue(); i++) {
                        out.send(StringValue.of(Long.toString(i)));
                    }
                    throw new TtrpcException(Code.ABORTED, "failed after " + req.getValue());
                });
    }
}
