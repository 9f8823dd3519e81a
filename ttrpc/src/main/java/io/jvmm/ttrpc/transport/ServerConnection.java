package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodDefinition;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.OversizedFrame;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The server side of one connection: validates each frame the way the reference server does,
 * starts calls and routes Data frames to them. Runs on the connection's event loop.
 */
public final class ServerConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(ServerConnection.class);

    private final ServerRuntime runtime;
    private final Map<Integer, ServerCall<?, ?>> calls = new ConcurrentHashMap<>();
    private Channel channel;
    private InboundFlowControl flowControl;
    private WritabilityGate gate;
    private final RequestChecks checks;

    public ServerConnection(ServerRuntime runtime) {
        this.runtime = runtime;
        this.checks = new RequestChecks(runtime.services());
    }

    Channel channel() {
        return channel;
    }

    Executor executor() {
        return runtime.executor();
    }

    CallObserver observer() {
        return runtime.observer();
    }

    InboundFlowControl flowControl() {
        return flowControl;
    }

    WritabilityGate gate() {
        return gate;
    }

    public int activeCalls() {
        return calls.size();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        flowControl = new InboundFlowControl(channel);
        gate = new WritabilityGate(channel);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (runtime.requireSameUser() && !peerIsSameUserOrRoot()) {
            LOG.warn("closing connection from a peer that is neither root nor our own user");
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    private boolean peerIsSameUserOrRoot() throws IOException {
        if (!(channel instanceof EpollDomainSocketChannel unix)) {
            return true;
        }
        PeerCredentials peer = unix.peerCredentials();
        return peer.uid() == 0 || peer.uid() == OwnUser.uid();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            switch (msg) {
                case OversizedFrame o -> sendStatus(o.streamId(), new Status(Code.RESOURCE_EXHAUSTED, o.message()));
                case Frame f -> onFrame(f);
                default ->
                    LOG.warn("unexpected inbound object {}", msg.getClass().getName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onFrame(Frame frame) {
        int id = frame.streamId();
        if ((id & 1) == 0) {
            sendStatus(id, new Status(Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams"));
            return;
        }
        switch (frame.type()) {
            case REQUEST -> onRequest(frame);
            case DATA -> onData(frame);
            // Responses are never sent to a server; unknown types are reserved for future use.
            case RESPONSE, UNKNOWN -> LOG.debug("ignoring {}", frame);
        }
    }

    private void onData(Frame frame) {
        ServerCall<?, ?> call = calls.get(frame.streamId());
        if (call == null) {
            sendStatus(frame.streamId(), new Status(Code.INVALID_ARGUMENT, "StreamID is no longer active"));
        } else if (!call.acceptsData()) {
            sendStatus(
                    frame.streamId(),
                    new Status(Code.INVALID_ARGUMENT, "data handling error: method does not stream requests"));
        } else {
            call.onData(frame);
        }
    }

    private void onRequest(Frame frame) {
        switch (checks.check(frame.streamId(), frame.content().nioBuffer(), runtime.draining())) {
            case RequestChecks.Refused r -> sendStatus(frame.streamId(), r.status());
            case RequestChecks.Accepted a -> {
                ServerCall<?, ?> call = newCall(frame.streamId(), a.request(), a.method());
                calls.put(frame.streamId(), call);
                call.start(a.request().getPayload());
            }
        }
    }

    private <Q extends Message, R extends Message> ServerCall<Q, R> newCall(
            int streamId, Request request, MethodDefinition<Q, R> method) {
        return new ServerCall<>(
                this,
                streamId,
                request.getService(),
                method,
                Metadata.fromWire(request.getMetadataList()),
                request.getTimeoutNano());
    }

    void callFinished(ServerCall<?, ?> call) {
        calls.remove(call.streamId(), call);
    }

    /** Answers a stream with a status alone (protocol errors, unknown methods). */
    void sendStatus(int streamId, Status status) {
        write(Frames.response(streamId, status, ByteString.EMPTY));
    }

    void write(Frame frame) {
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    /** Ends every call in flight; used at the end of a graceful shutdown. */
    public void cancelAll(Status status) {
        List.copyOf(calls.values()).forEach(call -> call.cancel(status, true));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        gate.signal();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // The peer is gone: nobody can receive an answer, so calls are cancelled without one.
        Status gone = new Status(Code.CANCELLED, "ttrpc: connection closed");
        List.copyOf(calls.values()).forEach(call -> call.cancel(gone, false));
        gate.signal();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error, closing", cause);
        ctx.close();
    }
}
