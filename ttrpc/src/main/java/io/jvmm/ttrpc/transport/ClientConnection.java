package io.jvmm.ttrpc.transport;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.wire.Frame;
import io.jvmm.ttrpc.wire.OversizedFrame;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The client side of one connection: allocates odd, increasing stream ids, routes frames to their
 * streams and fails every pending stream when the connection drops.
 */
public final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(ClientConnection.class);
    private static final long MAX_STREAM_ID = 0xFFFF_FFFFL;

    private final Map<Integer, ClientStream> streams = new ConcurrentHashMap<>();
    private final Object openLock = new Object();
    private Channel channel;
    private InboundFlowControl flowControl;
    private WritabilityGate gate;
    private long nextStreamId = 1;
    private volatile boolean closed;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        flowControl = new InboundFlowControl(channel);
        gate = new WritabilityGate(channel);
    }

    public Channel channel() {
        return channel;
    }

    InboundFlowControl flowControl() {
        return flowControl;
    }

    public WritabilityGate gate() {
        return gate;
    }

    public int pendingStreams() {
        return streams.size();
    }

    /**
     * Opens a stream: allocates its id and writes its first frame (built by {@code firstFrame} from
     * the id) under one lock, so ids reach the wire in increasing order.
     */
    public ClientStream open(MethodKind kind, long timeoutNanos, IntFunction<Frame> firstFrame) {
        synchronized (openLock) {
            if (closed || !channel.isActive()) {
                throw new TtrpcException(Code.UNAVAILABLE, "ttrpc: closed");
            }
            if (nextStreamId > MAX_STREAM_ID) {
                throw new TtrpcException(Code.RESOURCE_EXHAUSTED, "ttrpc: stream ids exhausted on this connection");
            }
            int id = (int) nextStreamId;
            Frame frame = firstFrame.apply(id);
            nextStreamId += 2;
            ClientStream stream = new ClientStream(this, id, kind);
            streams.put(id, stream);
            if (timeoutNanos > 0) {
                stream.deadlineTimer(channel.eventLoop()
                        .schedule(
                                () -> stream.fail(new Status(Code.DEADLINE_EXCEEDED, "context deadline exceeded")),
                                timeoutNanos,
                                TimeUnit.NANOSECONDS));
            }
            write(frame);
            return stream;
        }
    }

    public void write(Frame frame) {
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    void forget(ClientStream stream) {
        streams.remove(stream.id(), stream);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            switch (msg) {
                case Frame f -> route(f);
                case OversizedFrame o -> {
                    ClientStream s = streams.get(o.streamId());
                    if (s != null) {
                        s.fail(new Status(Code.RESOURCE_EXHAUSTED, o.message()));
                    }
                }
                default ->
                    LOG.warn("unexpected inbound object {}", msg.getClass().getName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void route(Frame frame) {
        ClientStream stream = streams.get(frame.streamId());
        if (stream == null) {
            LOG.debug("ttrpc: received message on inactive stream {}", frame.streamIdUnsigned());
            return;
        }
        stream.onFrame(frame);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        gate.signal();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        synchronized (openLock) {
            closed = true;
        }
        Status gone = new Status(Code.UNAVAILABLE, "ttrpc: closed");
        List.copyOf(streams.values()).forEach(s -> s.fail(gone));
        gate.signal();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection error, closing", cause);
        ctx.close();
    }
}
