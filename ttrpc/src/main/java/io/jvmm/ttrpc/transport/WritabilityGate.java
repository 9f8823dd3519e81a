package io.jvmm.ttrpc.transport;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import io.netty.channel.Channel;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Makes streaming senders wait while the connection's outbound buffer is above its high water mark,
 * so a fast producer cannot queue unbounded memory in front of a slow peer.
 */
public final class WritabilityGate {
    private final Channel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition writable = lock.newCondition();

    public WritabilityGate(Channel channel) {
        this.channel = channel;
    }

    /** Called by the channel handler when writability changes or the channel closes. */
    public void signal() {
        lock.lock();
        try {
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public void awaitWritable(long deadlineNanos, Supplier<Status> cancelled) {
        if (channel.isWritable()) {
            return;
        }
        lock.lock();
        try {
            while (!channel.isWritable()) {
                if (!channel.isActive()) {
                    throw new TtrpcException(Code.UNAVAILABLE, "ttrpc: closed");
                }
                long wait = Waits.nextSlice(deadlineNanos, cancelled);
                writable.awaitNanos(wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TtrpcException(Code.CANCELLED, "interrupted while waiting to send");
        } finally {
            lock.unlock();
        }
    }
}
