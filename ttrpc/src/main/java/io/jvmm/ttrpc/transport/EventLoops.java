package io.jvmm.ttrpc.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The process-wide epoll event loops shared by every ttrpc server and client. A shim has a handful
 * of connections; one small group serves them all and never needs closing (daemon threads).
 */
public final class EventLoops {
    private static EventLoopGroup shared;

    private EventLoops() {}

    public static synchronized EventLoopGroup shared() {
        if (shared == null) {
            Epoll.ensureAvailability();
            int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
            shared = new MultiThreadIoEventLoopGroup(
                    threads, new DefaultThreadFactory("ttrpc-io", true), EpollIoHandler.newFactory());
        }
        return shared;
    }
}
