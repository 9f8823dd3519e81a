package io.jvmm.shim.tracing;

import java.util.Map;
import java.util.Optional;

/**
 * Which calls are recorded: {@code OTEL_TRACES_SAMPLER} and its argument as the OpenTelemetry SDK reads
 * them. The parent-based samplers (the default, {@code parentbased_always_on}) follow the sampled flag of
 * the trace containerd continues, so a trace containerd keeps is kept whole here, and one it drops is
 * dropped; they decide alone only for calls that come without a trace context.
 */
public record Sampler(boolean followParent, double ratio) {
    /** Samples whatever has no parent. */
    static final Sampler DEFAULT = new Sampler(true, 1.0);

    static Sampler fromEnvironment(Map<String, String> env) {
        String name =
                env.getOrDefault("OTEL_TRACES_SAMPLER", "parentbased_always_on").strip();
        return switch (name) {
            case "", "parentbased_always_on" -> DEFAULT;
            case "always_on" -> new Sampler(false, 1.0);
            case "always_off" -> new Sampler(false, 0.0);
            case "parentbased_always_off" -> new Sampler(true, 0.0);
            case "traceidratio" -> new Sampler(false, ratio(env));
            case "parentbased_traceidratio" -> new Sampler(true, ratio(env));
            default -> throw new IllegalArgumentException("trace sampler " + name + " is not supported");
        };
    }

    private static double ratio(Map<String, String> env) {
        String arg = env.getOrDefault("OTEL_TRACES_SAMPLER_ARG", "1.0").strip();
        try {
            double r = Double.parseDouble(arg);
            if (!(r >= 0 && r <= 1)) {
                throw new IllegalArgumentException("trace sampler ratio must be within [0, 1]: " + arg);
            }
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("trace sampler ratio is not a number: " + arg, e);
        }
    }

    /** Whether a call in trace {@code traceId} with {@code parent} (if any) is recorded. */
    boolean sample(Optional<TraceParent> parent, byte[] traceId) {
        if (followParent && parent.isPresent()) {
            return parent.get().sampled();
        }
        if (ratio >= 1.0) {
            return true;
        }
        if (ratio <= 0.0) {
            return false;
        }
        // As the SDK's TraceIdRatioBased: the trace id's low 8 bytes against the ratio of Long.MAX_VALUE.
        long low = 0;
        for (int i = 8; i < 16; i++) {
            low = (low << 8) | (traceId[i] & 0xff);
        }
        return Math.abs(low == Long.MIN_VALUE ? Long.MAX_VALUE : low) < (long) (ratio * Long.MAX_VALUE);
    }
}
