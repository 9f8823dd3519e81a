package io.jvmm.ttrpc.transport;

import io.netty.channel.Channel;
import java.util.HashSet;
import java.util.Set;

/**
 * Stops reading from a connection while any of its streams holds too many undelivered messages,
 * and resumes once every such stream has been drained. This is Netty's autoRead back-pressure in
 * place of the Go implementation's bounded per-stream channels.
 */
public final class InboundFlowControl {
    /** Messages a stream may hold before the connection stops reading (Go's receive buffer size). */
    public static final int HIGH_WATER = 64;

    public static final int LOW_WATER = 16;

    private final Channel channel;
    private final Set<Object> congested = new HashSet<>(); // touched on the event loop only

    public InboundFlowControl(Channel channel) {
        this.channel = channel;
    }

    /** Called on the event loop when a stream's backlog reached {@link #HIGH_WATER}. */
    public void congested(Object stream) {
        if (congested.add(stream) && congested.size() == 1) {
            channel.config().setAutoRead(false);
        }
    }

    /** Called from any thread when a stream's backlog fell to {@link #LOW_WATER} or the stream ended. */
    public void relieved(Object stream) {
        channel.eventLoop().execute(() -> {
            if (congested.remove(stream) && congested.isEmpty()) {
                channel.config().setAutoRead(true);
            }
        });
    }
}
