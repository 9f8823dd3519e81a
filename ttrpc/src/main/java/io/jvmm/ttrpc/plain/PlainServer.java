package io.jvmm.ttrpc.plain;

import com.google.protobuf.ByteString;
import io.jvmm.sys.FdAcceptor;
import io.jvmm.sys.VsockStream;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.Status;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A ttrpc server without Netty, for a process whose first answer must come soon after it starts (the
 * guest agent, where every class loaded before that answer is emulated under TCG): blocking reads on a
 * thread per connection, a platform thread per call, the JDK's {@link System.Logger}. It speaks the same
 * wire protocol as {@link io.jvmm.ttrpc.TtrpcServer} and answers protocol errors the same way, for unary
 * and server-streaming methods; services with methods that stream requests are refused.
 */
public final class PlainServer implements AutoCloseable {

    private static final Status CLOSED = new Status(Code.UNAVAILABLE, "ttrpc: server closed");
    private static final Status DEADLINE = new Status(Code.DEADLINE_EXCEEDED, "context deadline exceeded");

    /** Looked up at the first message: a server that logs nothing initialises no logging. */
    static System.Logger log() {
        return LogHolder.LOG;
    }

    private static final class LogHolder {
        static final System.Logger LOG = System.getLogger(PlainServer.class.getName());
    }

    private final Map<String, ServiceDefinition> services;
    private final FdAcceptor acceptor;
    private final Set<PlainConnection> connections = ConcurrentHashMap.newKeySet();
    private final Object callsChanged = new Object();
    private final ScheduledThreadPoolExecutor deadlines;
    private volatile boolean draining;

    private PlainServer(Map<String, ServiceDefinition> services, FdAcceptor acceptor) {
        this.services = services;
        this.acceptor = acceptor;
        this.deadlines = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().name("ttrpc-deadlines").daemon(true).factory());
        deadlines.setRemoveOnCancelPolicy(true);
    }

    /**
     * Serves {@code services} on the connections {@code acceptor} hands out (the server closes it);
     * {@code what} names the listener in thread names and logs.
     */
    public static PlainServer serve(FdAcceptor acceptor, String what, List<ServiceDefinition> services) {
        Map<String, ServiceDefinition> byName = new LinkedHashMap<>();
        for (ServiceDefinition service : services) {
            service.methods().values().forEach(method -> {
                if (method.kind().clientStreams()) {
                    throw new IllegalArgumentException("method " + service.name() + "/" + method.name()
                            + " streams requests, which the plain server does not serve");
                }
            });
            if (byName.putIfAbsent(service.name(), service) != null) {
                throw new IllegalArgumentException("service registered twice: " + service.name());
            }
        }
        PlainServer server = new PlainServer(Map.copyOf(byName), acceptor);
        Thread.ofPlatform().name("ttrpc-accept " + what).daemon(true).start(server::acceptLoop);
        return server;
    }

    private void acceptLoop() {
        while (!draining) {
            VsockStream stream;
            try {
                stream = acceptor.acceptStream();
            } catch (IOException e) {
                if (!draining) {
                    log().log(Level.ERROR, "accept failed, no longer accepting: {0}", e.getMessage());
                }
                return;
            }
            PlainConnection connection = new PlainConnection(this, stream);
            connections.add(connection);
            if (draining) {
                connection.close();
            }
            Thread.ofPlatform().name("ttrpc-connection").daemon(true).start(connection::serve);
        }
    }

    boolean draining() {
        return draining;
    }

    Map<String, ServiceDefinition> services() {
        return services;
    }

    /** Runs {@code call} on a thread of its own, its deadline armed first. */
    void start(PlainCall<?, ?> call, ByteString payload) {
        if (call.deadlineNanos() != 0) {
            long delay = call.deadlineNanos() - System.nanoTime();
            try {
                call.armed(deadlines.schedule(() -> call.cancel(DEADLINE, true), delay, TimeUnit.NANOSECONDS));
            } catch (RejectedExecutionException e) {
                // The server shut down after this request passed its checks: answered as a draining server does.
                call.cancel(CLOSED, true);
                return;
            }
        }
        Thread.ofPlatform().name("ttrpc-call").daemon(true).start(() -> call.run(payload));
    }

    void callFinished() {
        synchronized (callsChanged) {
            callsChanged.notifyAll();
        }
    }

    void connectionClosed(PlainConnection connection) {
        connections.remove(connection);
    }

    public int activeCalls() {
        return connections.stream().mapToInt(PlainConnection::activeCalls).sum();
    }

    /**
     * Stops accepting connections and new calls, lets calls in flight finish for up to {@code grace},
     * then cancels the rest and closes every connection. Returns true when nothing had to be cancelled.
     */
    public boolean shutdown(Duration grace) {
        draining = true;
        acceptor.close();
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (callsChanged) {
            for (long left = grace.toNanos(); activeCalls() > 0 && left > 0; left = deadline - System.nanoTime()) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(callsChanged, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        boolean clean = activeCalls() == 0;
        connections.forEach(c -> c.cancelAll(CLOSED));
        connections.forEach(PlainConnection::close);
        deadlines.shutdownNow();
        return clean;
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
