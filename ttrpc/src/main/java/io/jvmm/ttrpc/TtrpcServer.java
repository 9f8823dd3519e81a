package io.jvmm.ttrpc;

import io.jvmm.sys.FdAcceptor;
import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockListener;
import io.jvmm.ttrpc.transport.EventLoops;
import io.jvmm.ttrpc.transport.ServerConnection;
import io.jvmm.ttrpc.transport.ServerRuntime;
import io.jvmm.ttrpc.wire.FrameDecoder;
import io.jvmm.ttrpc.wire.FrameEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A ttrpc server on a unix domain socket. Each call runs on a handler thread of its own, so handlers
 * may block; many calls per connection run concurrently and are answered in any order.
 */
public final class TtrpcServer implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TtrpcServer.class);
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 8 << 20);

    private final Path socketPath;
    private final ServerRuntime runtime;
    private final boolean ownsExecutor;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private Channel serverChannel;
    private FdAcceptor acceptor;
    private Thread acceptThread;

    private TtrpcServer(Path socketPath, ServerRuntime runtime, boolean ownsExecutor) {
        this.socketPath = socketPath;
        this.runtime = runtime;
        this.ownsExecutor = ownsExecutor;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Calls in flight on all connections. */
    public int activeCalls() {
        return connections.stream().mapToInt(ServerConnection::activeCalls).sum();
    }

    public int connectionCount() {
        return channels.size();
    }

    private void bind() throws IOException {
        removeStaleSocket(socketPath);
        ServerBootstrap bootstrap = serverBootstrap(EpollServerDomainSocketChannel::new);
        serverChannel = await(bootstrap.bind(new DomainSocketAddress(socketPath.toFile())), "listen on " + socketPath);
        // Only our user may talk to us; containerd's shims do the same (mode 0600).
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        LOG.debug("ttrpc server listening on {}", socketPath);
    }

    /** Serves a listening socket made by another process (already bound, listening and non-blocking). */
    private void adopt(int listenerFd) throws IOException {
        ServerBootstrap bootstrap = serverBootstrap(() -> new EpollServerDomainSocketChannel(listenerFd, true));
        serverChannel =
                await(bootstrap.register(), "serve the inherited listener (fd " + listenerFd + ") of " + socketPath);
        LOG.debug("ttrpc server serving the inherited listener of {}", socketPath);
    }

    private ServerBootstrap serverBootstrap(ChannelFactory<EpollServerDomainSocketChannel> channels) {
        return new ServerBootstrap()
                .group(EventLoops.shared())
                .channelFactory(channels)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        initConnection(ch);
                    }
                });
    }

    private static Channel await(ChannelFuture future, String what) throws IOException {
        try {
            return future.sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while trying to " + what, e);
        } catch (Exception e) {
            throw new IOException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    private void initConnection(Channel ch) {
        ServerConnection connection = new ServerConnection(runtime);
        connections.add(connection);
        channels.add(ch);
        ch.closeFuture().addListener(f -> {
            connections.remove(connection);
            channels.remove(ch);
        });
        ch.pipeline()
                .addLast("frameDecoder", new FrameDecoder())
                .addLast("frameEncoder", FrameEncoder.INSTANCE)
                .addLast("connection", connection);
    }

    /**
     * Listens on an AF_VSOCK port (inside a guest). The socket is created and accepted through libc
     * (FFM); each accepted connection is handed to Netty as a stream channel on the shared event loops.
     */
    private void bindVsock(int port) throws IOException {
        serveAccepted(VsockListener.bind(port, 128), "vsock port " + port);
    }

    /** Serves the connections {@code acceptor} hands out (a vsock listener, or a port of a stream mux). */
    private void serveAccepted(FdAcceptor acceptor, String what) {
        EventLoops.shared(); // loads Netty's native transport, which wrapping an accepted fd needs
        this.acceptor = acceptor;
        acceptThread =
                Thread.ofPlatform().name("ttrpc-accept " + what).daemon(true).start(this::acceptLoop);
        LOG.debug("ttrpc server listening on {}", what);
    }

    private void acceptLoop() {
        while (!runtime.draining()) {
            int fd;
            try {
                fd = acceptor.accept();
            } catch (IOException e) {
                if (!runtime.draining()) {
                    LOG.error("vsock accept failed, no longer accepting: {}", e.getMessage());
                }
                return;
            }
            try {
                EpollDomainSocketChannel ch = new EpollDomainSocketChannel(fd);
                ch.config().setWriteBufferWaterMark(WATER_MARK);
                initConnection(ch);
                EventLoops.shared().register(ch).addListener(f -> {
                    if (!f.isSuccess()) {
                        LOG.warn(
                                "cannot register vsock connection: {}",
                                f.cause().getMessage());
                        ch.close();
                    }
                });
            } catch (RuntimeException | LinkageError e) {
                LOG.error("cannot serve vsock connection: {}", e.toString());
                Libc.close(fd);
            }
        }
    }

    /** A socket file left by a dead process is removed; one that still answers is an error. */
    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new IOException("address already in use: " + path);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("address already in use")) {
                throw e;
            }
            Files.deleteIfExists(path);
        }
    }

    /**
     * Stops accepting connections and new calls, lets calls in flight finish for up to {@code grace},
     * then cancels the rest and closes every connection. Returns true when nothing had to be cancelled.
     */
    public boolean shutdown(Duration grace) {
        runtime.startDraining();
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (acceptor != null) {
            acceptor.close();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (activeCalls() > 0 && System.nanoTime() < deadline) {
            sleepBriefly();
        }
        boolean clean = activeCalls() == 0;
        Status stopping = new Status(Code.UNAVAILABLE, "ttrpc: server closed");
        connections.forEach(c -> c.cancelAll(stopping));
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (ownsExecutor) {
            runtime.executor().shutdownNow();
        }
        if (socketPath != null) {
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException e) {
                LOG.warn("cannot remove socket {}: {}", socketPath, e.getMessage());
            }
        }
        return clean;
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }

    private static final ThreadFactory HANDLER_THREADS =
            Thread.ofPlatform().name("ttrpc-call-", 0).daemon(true).factory();

    public static final class Builder {
        private final Map<String, ServiceDefinition> services = new LinkedHashMap<>();
        private ExecutorService executor;
        private boolean requireSameUser;
        private CallObserver observer = CallObserver.NONE;

        public Builder addService(ServiceDefinition service) {
            if (services.putIfAbsent(service.name(), service) != null) {
                throw new IllegalArgumentException("service " + service.name() + " registered twice");
            }
            return this;
        }

        /**
         * Handler threads. By default a growing pool of daemon platform threads owned by the server:
         * measured faster than a virtual thread per call at every load (docs/benchmarks.md), and it
         * grows as blocking calls (containerd's Wait lasts a container's life) need it.
         */
        public Builder executor(ExecutorService value) {
            this.executor = value;
            return this;
        }

        /** Told of every call this server ends ({@link CallObserver}); none by default. */
        public Builder observer(CallObserver value) {
            this.observer = Objects.requireNonNull(value, "observer");
            return this;
        }

        /** Refuse peers that are neither root nor this process's user (SO_PEERCRED), as containerd's shims do. */
        public Builder requireSameUser(boolean value) {
            this.requireSameUser = value;
            return this;
        }

        public TtrpcServer bind(Path socketPath) throws IOException {
            TtrpcServer server = create(socketPath, requireSameUser);
            return start(server, server::bind);
        }

        /**
         * Serves the listening unix socket {@code listenerFd} this process inherited, bound to
         * {@code socketPath} by its creator ({@link InheritedListener}); shutdown closes it and removes
         * the path, as for {@link #bind}.
         */
        public TtrpcServer adopt(int listenerFd, Path socketPath) throws IOException {
            TtrpcServer server = create(socketPath, requireSameUser);
            return start(server, () -> server.adopt(listenerFd));
        }

        /** Serves on an AF_VSOCK port, inside a guest. Peer credentials do not exist on vsock. */
        public TtrpcServer bindVsock(int port) throws IOException {
            TtrpcServer server = create(null, false);
            return start(server, () -> server.bindVsock(port));
        }

        /** Serves the fds {@code acceptor} hands out (the server closes it); {@code what} names it in logs. */
        public TtrpcServer serve(FdAcceptor acceptor, String what) throws IOException {
            TtrpcServer server = create(null, false);
            return start(server, () -> server.serveAccepted(acceptor, what));
        }

        private TtrpcServer create(Path socketPath, boolean sameUser) {
            boolean owns = executor == null;
            ExecutorService exec = owns ? Executors.newCachedThreadPool(HANDLER_THREADS) : executor;
            return new TtrpcServer(socketPath, new ServerRuntime(services, exec, sameUser, observer), owns);
        }

        private interface Starter {
            void start() throws IOException;
        }

        private static TtrpcServer start(TtrpcServer server, Starter starter) throws IOException {
            try {
                starter.start();
            } catch (IOException | RuntimeException e) {
                if (server.ownsExecutor) {
                    server.runtime.executor().shutdownNow();
                }
                throw e;
            }
            return server;
        }
    }
}
