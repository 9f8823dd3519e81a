package io.jvmm.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.transport.ClientConnection;
import io.jvmm.ttrpc.transport.ClientStream;
import io.jvmm.ttrpc.transport.EventLoops;
import io.jvmm.ttrpc.transport.Frames;
import io.jvmm.ttrpc.transport.HybridVsockHandshake;
import io.jvmm.ttrpc.wire.Flags;
import io.jvmm.ttrpc.wire.FrameDecoder;
import io.jvmm.ttrpc.wire.FrameEncoder;
import io.jvmm.ttrpc.wire.MessageType;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A ttrpc client over one unix socket connection. Thread-safe: any number of calls may be in flight
 * at once. When the connection drops, every pending call fails with UNAVAILABLE.
 */
public final class TtrpcClient implements AutoCloseable {
    private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Channel channel;
    private final ClientConnection connection;

    private TtrpcClient(Channel channel, ClientConnection connection) {
        this.channel = channel;
        this.connection = connection;
    }

    public static TtrpcClient connect(Path socket) throws IOException {
        return connect(socket, DEFAULT_CONNECT_TIMEOUT);
    }

    public static TtrpcClient connect(Path socket, Duration timeout) throws IOException {
        ClientConnection connection = new ClientConnection();
        ChannelFuture future = bootstrap(timeout, ch -> addTtrpcHandlers(ch, connection))
                .connect(new DomainSocketAddress(socket.toFile()));
        if (!future.awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            future.channel().close();
            throw new IOException("timed out connecting to " + socket);
        }
        if (!future.isSuccess()) {
            throw new IOException(
                    "cannot connect to " + socket + ": " + future.cause().getMessage(), future.cause());
        }
        return new TtrpcClient(future.channel(), connection);
    }

    /**
     * Connects to a guest's vsock port through a hybrid vsock unix socket (vhost-device-vsock,
     * Firecracker, Cloud Hypervisor): {@code CONNECT <port>} first, then ttrpc.
     */
    public static TtrpcClient connectHybridVsock(Path udsPath, int port, Duration timeout) throws IOException {
        ClientConnection connection = new ClientConnection();
        Promise<Void> handshake = EventLoops.shared().next().newPromise();
        ChannelFuture future = bootstrap(
                        timeout,
                        ch -> ch.pipeline()
                                .addLast(
                                        "handshake",
                                        new HybridVsockHandshake(
                                                port, handshake, () -> addTtrpcHandlers(ch, connection))))
                .connect(new DomainSocketAddress(udsPath.toFile()));
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!future.awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS) || !future.isSuccess()) {
            future.channel().close();
            Throwable cause = future.cause();
            throw new IOException(
                    "cannot connect to " + udsPath + (cause == null ? ": timed out" : ": " + cause.getMessage()),
                    cause);
        }
        long left = Math.max(0, deadline - System.nanoTime());
        if (!handshake.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) || !handshake.isSuccess()) {
            future.channel().close();
            Throwable cause = handshake.cause();
            throw new IOException(
                    cause == null ? "hybrid vsock: no answer to CONNECT " + port + " in time" : cause.getMessage(),
                    cause);
        }
        return new TtrpcClient(future.channel(), connection);
    }

    private static Bootstrap bootstrap(Duration timeout, Consumer<EpollDomainSocketChannel> init) {
        return new Bootstrap()
                .group(EventLoops.shared())
                .channel(EpollDomainSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TtrpcServer.WATER_MARK)
                .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        init.accept(ch);
                    }
                });
    }

    private static void addTtrpcHandlers(Channel ch, ClientConnection connection) {
        ch.pipeline()
                .addLast("frameDecoder", new FrameDecoder())
                .addLast("frameEncoder", FrameEncoder.INSTANCE)
                .addLast("connection", connection);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Completes when the connection is closed, by either side. */
    public CompletableFuture<Void> closeFuture() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        channel.closeFuture().addListener(f -> result.complete(null));
        return result;
    }

    public int pendingCalls() {
        return connection.pendingStreams();
    }

    /** A unary call; the future fails with a {@link TtrpcException} carrying the status. */
    public <Req extends Message, Resp extends Message> CompletableFuture<Resp> unaryAsync(
            String service, String method, Req request, Parser<Resp> parser, CallOptions options) {
        ClientStream stream;
        try {
            stream = open(service, method, MethodKind.UNARY, request.toByteString(), options);
        } catch (TtrpcException e) {
            return CompletableFuture.failedFuture(e);
        }
        return stream.unaryResult().thenApply(bytes -> parse(parser, bytes));
    }

    /** A unary call that blocks until the answer, the deadline or the connection's end. */
    public <Req extends Message, Resp extends Message> Resp unary(
            String service, String method, Req request, Parser<Resp> parser, CallOptions options) {
        CompletableFuture<Resp> future = unaryAsync(service, method, request, parser, options);
        try {
            // The stream's own deadline timer fails the future; the extra second only guards that timer.
            return options.timeout().isPresent()
                    ? future.get(options.timeout().get().toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)
                    : future.get();
        } catch (ExecutionException e) {
            throw Statuses.asException(e);
        } catch (TimeoutException e) {
            throw new TtrpcException(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TtrpcException(Code.CANCELLED, "interrupted");
        }
    }

    public <Req extends Message, Resp extends Message> Resp unary(
            String service, String method, Req request, Parser<Resp> parser) {
        return unary(service, method, request, parser, CallOptions.DEFAULT);
    }

    /**
     * Starts a streaming call. {@code firstRequest} is the request of a server-streaming call, and
     * may be null for client and bidirectional streaming (then messages go through {@link ClientCall#send}).
     */
    public <Req extends Message, Resp extends Message> ClientCall<Req, Resp> stream(
            String service,
            String method,
            MethodKind kind,
            Req firstRequest,
            Parser<Resp> parser,
            CallOptions options) {
        if (kind == MethodKind.UNARY) {
            throw new IllegalArgumentException("use unary() for unary methods");
        }
        ByteString payload = firstRequest == null ? ByteString.EMPTY : firstRequest.toByteString();
        ClientStream stream = open(service, method, kind, payload, options);
        long deadline =
                options.timeout().map(t -> System.nanoTime() + t.toNanos()).orElse(0L);
        return new ClientCall<>(connection, stream, parser, deadline);
    }

    private ClientStream open(String service, String method, MethodKind kind, ByteString payload, CallOptions options) {
        long timeoutNanos = options.timeout().map(Duration::toNanos).orElse(0L);
        Request.Builder request = Request.newBuilder()
                .setService(service)
                .setMethod(method)
                .setPayload(payload)
                .addAllMetadata(options.metadata().toWire());
        if (timeoutNanos > 0) {
            request.setTimeoutNano(timeoutNanos);
        }
        Request built = request.build();
        byte flags = kind.clientStreams() ? Flags.REMOTE_OPEN : kind.serverStreams() ? Flags.REMOTE_CLOSED : 0;
        return connection.open(kind, timeoutNanos, id -> Frames.of(id, MessageType.REQUEST, flags, built));
    }

    private static <Resp> Resp parse(Parser<Resp> parser, ByteString bytes) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INTERNAL, "ttrpc: error unmarshalling payload: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
