package io.jvmm.ttrpc.plain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.sys.VsockStream;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.Statuses;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.proto.Response;
import io.jvmm.ttrpc.wire.MessageType;
import io.jvmm.ttrpc.wire.OversizedFrame;
import io.jvmm.ttrpc.wire.WireLimits;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A ttrpc client without Netty for unary calls, one at a time, on a connected blocking stream: what the
 * guest agent's AOT training run uses to exercise its plain server without loading Netty into the cache.
 */
public final class PlainClient implements AutoCloseable {
    /** How long past the call's own timeout the client waits for the server's DEADLINE_EXCEEDED. */
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final VsockStream stream;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final ScheduledThreadPoolExecutor watchdog;
    private int nextStreamId = 1;

    private PlainClient(VsockStream stream) {
        this.stream = stream;
        this.reader = new FrameReader(new BufferedInputStream(stream.inputStream(), 16 * 1024));
        this.writer = new FrameWriter(stream.outputStream());
        this.watchdog = new ScheduledThreadPoolExecutor(
                1,
                Thread.ofPlatform().name("ttrpc-client-watchdog").daemon(true).factory());
        watchdog.setRemoveOnCancelPolicy(true);
    }

    /** A client on {@code stream}, which it owns and closes. */
    public static PlainClient over(VsockStream stream) {
        return new PlainClient(stream);
    }

    /**
     * Calls {@code service/method} and waits for the answer; {@code timeout} goes to the server as the
     * call's deadline, and the connection is cut if no answer comes within it (and a short grace).
     */
    public synchronized <R extends Message> R unary(
            String service, String method, Message request, Parser<R> parser, Duration timeout) {
        int streamId = nextStreamId;
        nextStreamId += 2;
        byte[] data = Request.newBuilder()
                .setService(service)
                .setMethod(method)
                .setPayload(request.toByteString())
                .setTimeoutNano(timeout.toNanos())
                .build()
                .toByteArray();
        if (data.length > WireLimits.MAX_DATA_LENGTH) {
            throw new TtrpcException(Code.RESOURCE_EXHAUSTED, WireLimits.oversizeMessage(data.length));
        }
        Future<?> cut =
                watchdog.schedule(stream::shutdownBoth, timeout.plus(GRACE).toNanos(), TimeUnit.NANOSECONDS);
        try {
            writer.write(streamId, MessageType.REQUEST.code(), (byte) 0, data);
            Response response = awaitResponse(streamId);
            Status status = Statuses.fromProto(response.getStatus());
            if (status.code() != Code.OK) {
                throw new TtrpcException(status);
            }
            return parser.parseFrom(response.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INTERNAL, "ttrpc: cannot parse the answer: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TtrpcException(
                    Code.UNAVAILABLE, "ttrpc: connection lost or no answer in time: " + e.getMessage(), e);
        } finally {
            cut.cancel(false);
        }
    }

    private Response awaitResponse(int streamId) throws IOException {
        while (true) {
            Object in = reader.next();
            if (in == null) {
                throw new IOException("connection closed");
            }
            if (in instanceof OversizedFrame o && o.streamId() == streamId) {
                throw new TtrpcException(Code.RESOURCE_EXHAUSTED, o.message());
            }
            if (in instanceof PlainFrame f && f.streamId() == streamId && f.type() == MessageType.RESPONSE) {
                return Response.parseFrom(f.data());
            }
            // Frames of other streams (none, one call at a time) or of reserved types are ignored.
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        stream.close();
    }
}
