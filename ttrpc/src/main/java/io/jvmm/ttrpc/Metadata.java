package io.jvmm.ttrpc;

import io.jvmm.ttrpc.proto.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Request metadata: an ordered multimap of string keys to string values. containerd sends the
 * namespace under {@link #CONTAINERD_NAMESPACE}. Keys may repeat, as on the wire.
 */
public final class Metadata {
    public static final String CONTAINERD_NAMESPACE = "containerd-namespace-ttrpc";
    public static final Metadata EMPTY = new Metadata(Map.of());

    private final Map<String, List<String>> values;

    private Metadata(Map<String, List<String>> values) {
        this.values = values;
    }

    public static Metadata of(String key, String value) {
        return builder().add(key, value).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static Metadata fromWire(List<KeyValue> pairs) {
        if (pairs.isEmpty()) {
            return EMPTY;
        }
        Builder builder = builder();
        for (KeyValue kv : pairs) {
            builder.add(kv.getKey(), kv.getValue());
        }
        return builder.build();
    }

    public List<KeyValue> toWire() {
        List<KeyValue> pairs = new ArrayList<>();
        values.forEach((key, list) -> list.forEach(
                v -> pairs.add(KeyValue.newBuilder().setKey(key).setValue(v).build())));
        return pairs;
    }

    /** The first value of a key. */
    public Optional<String> get(String key) {
        List<String> list = values.get(key);
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.getFirst());
    }

    public List<String> getAll(String key) {
        return values.getOrDefault(key, List.of());
    }

    public Map<String, List<String>> asMap() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Metadata m && m.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }

    public static final class Builder {
        private final Map<String, List<String>> values = new LinkedHashMap<>();

        public Builder add(String key, String value) {
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            return this;
        }

        public Builder addAll(Metadata other) {
            other.values.forEach((k, list) -> list.forEach(v -> add(k, v)));
            return this;
        }

        public Metadata build() {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return new Metadata(Collections.unmodifiableMap(copy));
        }
    }
}
