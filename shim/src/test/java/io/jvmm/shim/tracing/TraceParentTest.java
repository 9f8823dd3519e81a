package io.jvmm.shim.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** containerd's trace context, as the W3C Trace Context specification defines {@code traceparent}. */
class TraceParentTest {
    private static final String EXAMPLE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void theSpecificationsExampleParses() {
        TraceParent p = TraceParent.parse(EXAMPLE).orElseThrow();
        assertThat(HexFormat.of().formatHex(p.traceId())).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(HexFormat.of().formatHex(p.spanId())).isEqualTo("b7ad6b7169203331");
        assertThat(p.sampled()).isTrue();
        assertThat(p.format()).isEqualTo(EXAMPLE);
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("01$", "00"))
                        .orElseThrow()
                        .sampled())
                .isFalse();
        // Only bit 0 of the flags means "sampled".
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("01$", "03"))
                        .orElseThrow()
                        .sampled())
                .isTrue();
    }

    @Test
    void aLaterVersionIsReadForItsFirstFourFields() {
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("^00", "01") + "-more"))
                .isPresent();
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("^00", "01"))).isPresent();
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("^00", "01") + "x")).isEmpty();
    }

    @Test
    void malformedContextsAreNoParent() {
        assertThat(TraceParent.parse(null)).isEmpty();
        assertThat(TraceParent.parse("")).isEmpty();
        assertThat(TraceParent.parse(EXAMPLE.substring(1))).isEmpty();
        assertThat(TraceParent.parse(EXAMPLE + "-extra"))
                .as("version 00 has exactly four fields")
                .isEmpty();
        assertThat(TraceParent.parse(EXAMPLE.replaceFirst("^00", "ff"))).isEmpty();
        assertThat(TraceParent.parse(EXAMPLE.toUpperCase())).isEmpty();
        assertThat(TraceParent.parse("00-00000000000000000000000000000000-b7ad6b7169203331-01"))
                .isEmpty();
        assertThat(TraceParent.parse("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"))
                .isEmpty();
        assertThat(TraceParent.parse(EXAMPLE.replace('-', '_'))).isEmpty();
        assertThat(TraceParent.parse("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01"))
                .isEmpty();
    }

    @Property
    void whatItFormatsItParsesBack(
            @ForAll @Size(16) byte[] traceId, @ForAll @Size(8) byte[] spanId, @ForAll boolean sampled) {
        TraceParent p = new TraceParent(traceId, spanId, sampled);
        boolean valid = !allZero(traceId) && !allZero(spanId);
        assertThat(TraceParent.parse(p.format())).isEqualTo(valid ? Optional.of(p) : Optional.empty());
    }

    @Property
    void anyStringIsAContextOrNothingNeverAnError(@ForAll String value) {
        assertThat(TraceParent.parse(value)).isNotNull();
    }

    @Test
    void newIdsAreNeverAllZero() {
        for (int i = 0; i < 1000; i++) {
            assertThat(allZero(TraceParent.newId(8))).isFalse();
        }
    }

    private static boolean allZero(byte[] id) {
        for (byte b : id) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
