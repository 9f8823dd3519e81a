package io.jvmm.ttrpc;

import java.util.Optional;

/** Messages a streaming peer sends, read one at a time by a single thread. */
public interface RequestStream<T> {
    /**
     * Blocks until the next message; empty once the peer closed its side. Throws a
     * {@link TtrpcException} when the call is cancelled or the message cannot be decoded.
     */
    Optional<T> next();
}
