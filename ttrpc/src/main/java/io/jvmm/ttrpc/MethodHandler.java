package io.jvmm.ttrpc;

/** A server-side method implementation; one sub-interface per {@link MethodKind}. */
public sealed interface MethodHandler<Req, Resp>
        permits MethodHandler.Unary,
                MethodHandler.ServerStreaming,
                MethodHandler.ClientStreaming,
                MethodHandler.BidiStreaming {

    MethodKind kind();

    @FunctionalInterface
    non-sealed interface Unary<Req, Resp> extends MethodHandler<Req, Resp> {
        Resp invoke(CallContext context, Req request) throws Exception;

        @Override
        default MethodKind kind() {
            return MethodKind.UNARY;
        }
    }

    @FunctionalInterface
    non-sealed interface ServerStreaming<Req, Resp> extends MethodHandler<Req, Resp> {
        void invoke(CallContext context, Req request, ResponseSink<Resp> responses) throws Exception;

        @Override
        default MethodKind kind() {
            return MethodKind.SERVER_STREAMING;
        }
    }

    @FunctionalInterface
    non-sealed interface ClientStreaming<Req, Resp> extends MethodHandler<Req, Resp> {
        Resp invoke(CallContext context, RequestStream<Req> requests) throws Exception;

        @Override
        default MethodKind kind() {
            return MethodKind.CLIENT_STREAMING;
        }
    }

    @FunctionalInterface
    non-sealed interface BidiStreaming<Req, Resp> extends MethodHandler<Req, Resp> {
        void invoke(CallContext context, RequestStream<Req> requests, ResponseSink<Resp> responses) throws Exception;

        @Override
        default MethodKind kind() {
            return MethodKind.BIDI_STREAMING;
        }
    }
}
