package io.jvmm.ttrpc;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** Per-call settings on the client: an optional timeout (sent as timeout_nano) and metadata. */
public record CallOptions(Optional<Duration> timeout, Metadata metadata) {
    public static final CallOptions DEFAULT = new CallOptions(Optional.empty(), Metadata.EMPTY);

    public CallOptions {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(metadata, "metadata");
        timeout.ifPresent(t -> {
            if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + t);
            }
        });
    }

    public static CallOptions withTimeout(Duration timeout) {
        return DEFAULT.timeout(timeout);
    }

    public CallOptions timeout(Duration value) {
        return new CallOptions(Optional.of(value), metadata);
    }

    public CallOptions metadata(Metadata value) {
        return new CallOptions(timeout, value);
    }

    public CallOptions metadata(String key, String value) {
        return new CallOptions(
                timeout, Metadata.builder().addAll(metadata).add(key, value).build());
    }
}
