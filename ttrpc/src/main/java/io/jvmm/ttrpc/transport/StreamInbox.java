package io.jvmm.ttrpc.transport;

import com.google.protobuf.ByteString;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The messages one stream has received and its reader has not yet taken, followed by the end of the
 * stream or a failure. Filled on the event loop, drained by one reader thread.
 */
public final class StreamInbox {
    /** What a reader takes: a message, the end of the stream, or a failure. */
    public sealed interface Item {
        record Message(ByteString bytes) implements Item {}

        record End() implements Item {}

        record Failure(Status status) implements Item {}
    }

    private static final Item END = new Item.End();

    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final InboundFlowControl flow;
    private volatile boolean closed;
    private Item terminal; // remembered so every later take() sees it again; reader thread only

    public StreamInbox(InboundFlowControl flow) {
        this.flow = flow;
    }

    /** Event loop only. */
    public void offerMessage(ByteString bytes) {
        if (closed) {
            return;
        }
        queue.add(new Item.Message(bytes));
        if (queue.size() >= InboundFlowControl.HIGH_WATER) {
            flow.congested(this);
        }
    }

    public void end() {
        close(END);
    }

    public void fail(Status status) {
        close(new Item.Failure(status));
    }

    public boolean isClosed() {
        return closed;
    }

    private synchronized void close(Item last) {
        if (!closed) {
            closed = true;
            queue.add(last);
        }
        flow.relieved(this);
    }

    /**
     * Blocks until an item is available, the deadline (System.nanoTime based; 0 = none) passes, or
     * {@code cancelled} reports a status.
     */
    public Item take(long deadlineNanos, Supplier<Status> cancelled) {
        if (terminal != null) {
            return terminal;
        }
        try {
            while (true) {
                long wait = Waits.nextSlice(deadlineNanos, cancelled);
                Item item = queue.poll(wait, TimeUnit.NANOSECONDS);
                if (item != null) {
                    afterTake(item);
                    return item;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Status cancel = cancelled.get();
            throw new TtrpcException(cancel != null ? cancel : new Status(Code.CANCELLED, "interrupted"));
        }
    }

    private void afterTake(Item item) {
        if (!(item instanceof Item.Message)) {
            terminal = item;
        }
        if (queue.size() <= InboundFlowControl.LOW_WATER) {
            flow.relieved(this);
        }
    }
}
