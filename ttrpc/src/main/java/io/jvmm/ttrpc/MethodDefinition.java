package io.jvmm.ttrpc;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.Objects;

/** One registered method: its bare name, how to parse its requests and what serves it. */
public record MethodDefinition<Req extends Message, Resp extends Message>(
        String name, Parser<Req> requestParser, MethodHandler<Req, Resp> handler, Dispatch dispatch) {

    public MethodDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(requestParser, "requestParser");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(dispatch, "dispatch");
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("invalid method name: '" + name + "'");
        }
        if (dispatch == Dispatch.EVENT_LOOP && handler.kind() != MethodKind.UNARY) {
            throw new IllegalArgumentException("method " + name + ": only unary handlers may run on the event loop");
        }
    }

    public MethodDefinition(String name, Parser<Req> requestParser, MethodHandler<Req, Resp> handler) {
        this(name, requestParser, handler, Dispatch.WORKER);
    }

    public MethodKind kind() {
        return handler.kind();
    }
}
