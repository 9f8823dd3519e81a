package io.jvmm.shim.tracing;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Whether and where this shim exports traces, from the OpenTelemetry SDK's standard environment variables.
 * A shim runs with containerd's environment, so a containerd traced through these variables (its documented
 * way) has its shims traced to the same collector, and an operator can set them for the shims alone. Off
 * unless an OTLP endpoint is set; only OTLP over HTTP with protobuf bodies is spoken.
 *
 * @param endpoint where spans are POSTed ({@code .../v1/traces})
 * @param serviceName the resource's {@code service.name}
 * @param timeout how long one export may take
 * @param sampler which calls without a sampled parent are recorded
 */
public record OtlpSettings(URI endpoint, String serviceName, Duration timeout, Sampler sampler) {
    static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(10);
    /** The shims' {@code service.name}. */
    public static final String SERVICE_NAME = "jvmm-shim";

    /** Whether {@code env} asks for traces at all: read without loading any class of this package. */
    public static boolean requested(Map<String, String> env) {
        return !blank(env.get(ENDPOINT)) || !blank(env.get(TRACES_ENDPOINT));
    }

    /**
     * The settings {@code env} gives; empty when tracing is off (no endpoint, {@code OTEL_SDK_DISABLED=true},
     * {@code OTEL_TRACES_EXPORTER} other than {@code otlp}). A setting this shim cannot follow (a gRPC
     * protocol, an endpoint that is not http(s), a bad number) is an IllegalArgumentException naming it.
     */
    public static Optional<OtlpSettings> fromEnvironment(Map<String, String> env) {
        if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "").strip())
                || !env.getOrDefault("OTEL_TRACES_EXPORTER", "otlp").strip().equals("otlp")
                || !requested(env)) {
            return Optional.empty();
        }
        String protocol = first(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
                .orElse("http/protobuf");
        if (!protocol.equals("http/protobuf")) {
            throw new IllegalArgumentException(
                    "OTLP protocol " + protocol + " is not supported by jvmm's shim (use http/protobuf)");
        }
        String traces = env.get(TRACES_ENDPOINT);
        URI endpoint;
        try {
            endpoint = URI.create(
                    !blank(traces) ? traces.strip() : env.get(ENDPOINT).strip().replaceAll("/+$", "") + "/v1/traces");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("OTLP endpoint is not a URI: " + e.getMessage(), e);
        }
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
            throw new IllegalArgumentException("OTLP endpoint " + endpoint + " is not an http(s) URL");
        }
        Duration timeout = first(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
                .map(ms -> Duration.ofMillis(number("OTLP timeout", ms)))
                .filter(t -> t.compareTo(MAX_TIMEOUT) < 0)
                .orElse(MAX_TIMEOUT);
        // Not OTEL_SERVICE_NAME: containerd sets it to its own name in its environment, which its shims inherit.
        return Optional.of(new OtlpSettings(endpoint, SERVICE_NAME, timeout, Sampler.fromEnvironment(env)));
    }

    private static Optional<String> first(Map<String, String> env, String... keys) {
        for (String key : keys) {
            String value = env.get(key);
            if (!blank(value)) {
                return Optional.of(value.strip());
            }
        }
        return Optional.empty();
    }

    private static long number(String what, String value) {
        try {
            long n = Long.parseLong(value);
            if (n <= 0) {
                throw new IllegalArgumentException(what + " must be positive: " + value);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is not a number: " + value, e);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
