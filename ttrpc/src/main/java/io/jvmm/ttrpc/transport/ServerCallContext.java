package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.jvmm.ttrpc.CallContext;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a server-side call knows and how it is cancelled, shared by the Netty server's calls and the plain
 * server's: the method, metadata and deadline, the cancel status once set, and the listeners it runs.
 * How a call is run and answered is each server's own.
 */
public abstract class ServerCallContext<Req extends Message, Resp extends Message> implements CallContext {
    private final String service;
    private final MethodDefinition<Req, Resp> method;
    private final Metadata metadata;
    private final long deadlineNanos;
    private final List<Runnable> cancelListeners = new ArrayList<>();
    private volatile Status cancelStatus;

    protected ServerCallContext(
            String service, MethodDefinition<Req, Resp> method, Metadata metadata, long timeoutNanos) {
        this.service = service;
        this.method = method;
        this.metadata = metadata;
        this.deadlineNanos = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
    }

    protected final MethodDefinition<Req, Resp> definition() {
        return method;
    }

    /** The deadline on {@link System#nanoTime()}'s clock; 0 for none. */
    public final long deadlineNanos() {
        return deadlineNanos;
    }

    /** The status the call was cancelled with; null while it is not. */
    protected final Status cancelStatus() {
        return cancelStatus;
    }

    /** Records why the call ends; the caller holds its send lock and has checked that the call had not ended. */
    protected final void markCancelled(Status status) {
        cancelStatus = status;
    }

    /** Runs the listeners registered so far (later ones run at once); after {@link #markCancelled}. */
    protected final void runCancelListeners() {
        List<Runnable> listeners;
        synchronized (cancelListeners) {
            listeners = List.copyOf(cancelListeners);
        }
        listeners.forEach(this::runQuietly);
    }

    private void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            cancelListenerFailed(e);
        }
    }

    /** Reports a listener's failure in the server's own log. */
    protected abstract void cancelListenerFailed(RuntimeException e);

    protected final Req parse(ByteString payload) {
        try {
            return method.requestParser().parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INVALID_ARGUMENT, "ttrpc: error unmarshalling payload: " + e.getMessage());
        }
    }

    @Override
    public final String service() {
        return service;
    }

    @Override
    public final String method() {
        return method.name();
    }

    @Override
    public final Metadata metadata() {
        return metadata;
    }

    @Override
    public final Optional<Duration> timeRemaining() {
        return deadlineNanos == 0
                ? Optional.empty()
                : Optional.of(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
    }

    @Override
    public final boolean isCancelled() {
        return cancelStatus != null;
    }

    @Override
    public final void checkCancelled() {
        Status status = cancelStatus;
        if (status != null) {
            throw new TtrpcException(status);
        }
    }

    @Override
    public final void onCancel(Runnable action) {
        synchronized (cancelListeners) {
            if (cancelStatus == null) {
                cancelListeners.add(action);
                return;
            }
        }
        runQuietly(action);
    }
}
