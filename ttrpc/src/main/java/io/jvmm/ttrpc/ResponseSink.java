package io.jvmm.ttrpc;

/** Where a streaming handler (or client) sends its messages. Blocks while the connection is congested. */
public interface ResponseSink<T> {
    /** Sends one message; throws {@link TtrpcException} if the call has ended or the message is too large. */
    void send(T message);
}
