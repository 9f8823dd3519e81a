package io.jvmm.shim.tracing;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C trace context ({@code traceparent}: {@code 00-<trace id>-<parent span id>-<flags>}), as containerd's
 * ttrpc client sends it in a request's metadata when containerd traces (otelttrpc's interceptor). Parsed
 * strictly: anything malformed is no parent (the call then starts a trace of its own), never an error for
 * the call.
 */
public record TraceParent(byte[] traceId, byte[] spanId, boolean sampled) {
    /** The metadata key, lower-case as the W3C propagator writes it. */
    public static final String KEY = "traceparent";

    private static final int LENGTH = 55;
    private static final HexFormat HEX = HexFormat.of();

    public TraceParent {
        traceId = traceId.clone();
        spanId = spanId.clone();
    }

    @Override
    public byte[] traceId() {
        return traceId.clone();
    }

    @Override
    public byte[] spanId() {
        return spanId.clone();
    }

    /**
     * The context in {@code value}: version 00 exactly as specified; a later version's first four fields
     * where its value is longer and goes on with '-' (the specification's rule for versions it does not
     * know yet); version ff, upper-case hex and all-zero ids are invalid.
     */
    public static Optional<TraceParent> parse(String value) {
        if (value == null || value.length() < LENGTH) {
            return Optional.empty();
        }
        if (value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return Optional.empty();
        }
        String version = value.substring(0, 2);
        if (!lowerHex(version) || version.equals("ff")) {
            return Optional.empty();
        }
        if (version.equals("00") ? value.length() != LENGTH : value.length() > LENGTH && value.charAt(LENGTH) != '-') {
            return Optional.empty();
        }
        String trace = value.substring(3, 35);
        String span = value.substring(36, 52);
        String flags = value.substring(53, 55);
        if (!lowerHex(trace) || !lowerHex(span) || !lowerHex(flags)) {
            return Optional.empty();
        }
        byte[] traceId = HEX.parseHex(trace);
        byte[] spanId = HEX.parseHex(span);
        if (allZero(traceId) || allZero(spanId)) {
            return Optional.empty();
        }
        return Optional.of(new TraceParent(traceId, spanId, (HexFormat.fromHexDigits(flags) & 1) == 1));
    }

    /** This context as a {@code traceparent} value (version 00). */
    public String format() {
        return "00-" + HEX.formatHex(traceId) + "-" + HEX.formatHex(spanId) + "-" + (sampled ? "01" : "00");
    }

    /** A fresh random id of {@code bytes} bytes, never all zero (an invalid id). */
    static byte[] newId(int bytes) {
        byte[] id = new byte[bytes];
        do {
            ThreadLocalRandom.current().nextBytes(id);
        } while (allZero(id));
        return id;
    }

    private static boolean lowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean allZero(byte[] id) {
        for (byte b : id) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceParent t
                && Arrays.equals(traceId, t.traceId)
                && Arrays.equals(spanId, t.spanId)
                && sampled == t.sampled;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(traceId) * 31 + Arrays.hashCode(spanId) + (sampled ? 1 : 0);
    }

    @Override
    public String toString() {
        return format();
    }
}
