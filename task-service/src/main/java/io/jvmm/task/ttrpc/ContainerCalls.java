package io.jvmm.task.ttrpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.ttrpc.MethodHandler;
import io.jvmm.ttrpc.ServiceDefinition;
import org.apache.logging.log4j.ThreadContext;

/**
 * The Task service's methods, each run with the container it is about (the request's {@code id}) in the
 * log's thread context: every line a call writes names its container as well as its sandbox, in
 * containerd's log where every shim's lines meet.
 */
final class ContainerCalls {
    /** The thread-context key the shim's log lines carry as {@code container="…"}. */
    static final String KEY = "container";

    private final ServiceDefinition.Builder builder;

    private ContainerCalls(ServiceDefinition.Builder builder) {
        this.builder = builder;
    }

    static ContainerCalls of(String service) {
        return new ContainerCalls(ServiceDefinition.builder(service));
    }

    <Req extends Message, Resp extends Message> ContainerCalls unary(
            String method, Parser<Req> parser, MethodHandler.Unary<Req, Resp> handler) {
        builder.unary(method, parser, (ctx, request) -> {
            String id = idOf(request);
            if (id.isEmpty()) {
                return handler.invoke(ctx, request);
            }
            ThreadContext.put(KEY, id);
            try {
                return handler.invoke(ctx, request);
            } finally {
                ThreadContext.remove(KEY);
            }
        });
        return this;
    }

    ServiceDefinition build() {
        return builder.build();
    }

    /** A Task request's container id: its string field {@code id} ("" for none). */
    static String idOf(Message request) {
        FieldDescriptor id = request.getDescriptorForType().findFieldByName("id");
        return id != null && id.getJavaType() == FieldDescriptor.JavaType.STRING ? (String) request.getField(id) : "";
    }
}
