package io.jvmm.ttrpc;

import io.jvmm.ttrpc.proto.rpc.Status.Builder;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place where Java exceptions become ttrpc statuses, and statuses become wire messages. A handler
 * chooses a code by throwing a {@link TtrpcException} or a {@link StatusCarrier}; deadlines and
 * cancellations keep theirs; anything else is UNKNOWN with its message.
 */
public final class Statuses {
    private Statuses() {}

    /** Maps any throwable a handler raised to the status the caller receives. */
    public static Status fromThrowable(Throwable t) {
        Throwable cause = unwrap(t);
        return switch (cause) {
            case TtrpcException e -> e.status();
            case StatusCarrier c -> new Status(c.statusCode(), messageOf(cause));
            case TimeoutException e -> new Status(Code.DEADLINE_EXCEEDED, messageOf(e));
            case CancellationException e -> new Status(Code.CANCELLED, messageOf(e));
            case InterruptedException e -> new Status(Code.CANCELLED, "interrupted");
            // As the Go server does for a plain error: UNKNOWN with the error's text. A code says something
            // only when the handler chose it (a TtrpcException or a StatusCarrier): an IllegalStateException
            // from deep inside is a failure of the server, not the caller's precondition.
            default -> new Status(Code.UNKNOWN, messageOf(cause));
        };
    }

    public static TtrpcException asException(Throwable t) {
        Throwable cause = unwrap(t);
        return cause instanceof TtrpcException e ? e : new TtrpcException(fromThrowable(cause));
    }

    public static Status fromProto(io.jvmm.ttrpc.proto.rpc.Status proto) {
        return new Status(Code.fromValue(proto.getCode()), proto.getMessage());
    }

    public static io.jvmm.ttrpc.proto.rpc.Status toProto(Status status) {
        Builder builder = io.jvmm.ttrpc.proto.rpc.Status.newBuilder();
        if (!status.isOk()) {
            builder.setCode(status.code().value()).setMessage(status.message());
        }
        return builder.build();
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static String messageOf(Throwable t) {
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }
}
