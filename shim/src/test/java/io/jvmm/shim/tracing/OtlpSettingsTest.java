package io.jvmm.shim.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The OpenTelemetry SDK's environment variables, read as the SDK reads them (traces only, OTLP/HTTP). */
class OtlpSettingsTest {
    @Test
    void offUnlessAnEndpointIsSet() {
        assertThat(OtlpSettings.requested(Map.of())).isFalse();
        assertThat(OtlpSettings.fromEnvironment(Map.of())).isEmpty();
        assertThat(OtlpSettings.fromEnvironment(Map.of("OTEL_SERVICE_NAME", "x")))
                .isEmpty();
        assertThat(OtlpSettings.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " ")))
                .isEmpty();
    }

    @Test
    void theGeneralEndpointGetsTheTracesPathAndTheTracesEndpointIsTakenAsItIs() {
        OtlpSettings s = OtlpSettings.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"))
                .orElseThrow();
        assertThat(s.endpoint()).isEqualTo(URI.create("http://collector:4318/v1/traces"));
        assertThat(s.serviceName()).isEqualTo("jvmm-shim");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.sampler()).isEqualTo(Sampler.DEFAULT);
        OtlpSettings t = OtlpSettings.fromEnvironment(Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
                        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b:443/custom",
                        "OTEL_SERVICE_NAME", "containerd",
                        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"))
                .orElseThrow();
        assertThat(t.endpoint()).isEqualTo(URI.create("https://b:443/custom"));
        // containerd's own name, in the environment its shims inherit: not theirs.
        assertThat(t.serviceName()).isEqualTo("jvmm-shim");
        assertThat(t.timeout()).isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void disabledOrAnotherExporterMeansOff() {
        String endpoint = "http://collector:4318";
        assertThat(OtlpSettings.fromEnvironment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_SDK_DISABLED", "true")))
                .isEmpty();
        assertThat(OtlpSettings.fromEnvironment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_TRACES_EXPORTER", "none")))
                .isEmpty();
    }

    @Test
    void settingsItCannotFollowAreNamed() {
        assertThatThrownBy(() -> OtlpSettings.fromEnvironment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("grpc");
        assertThatThrownBy(() -> OtlpSettings.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "unix:///x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http(s)");
        assertThatThrownBy(() -> OtlpSettings.fromEnvironment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT", "soon")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> OtlpSettings.fromEnvironment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_TRACES_SAMPLER", "jaeger_remote")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jaeger_remote");
    }

    @Test
    void samplersFollowTheParentOrTheirRatio() {
        byte[] trace = TraceParent.newId(16);
        Optional<TraceParent> sampledParent = Optional.of(new TraceParent(trace, TraceParent.newId(8), true));
        Optional<TraceParent> droppedParent = Optional.of(new TraceParent(trace, TraceParent.newId(8), false));
        assertThat(Sampler.DEFAULT.sample(sampledParent, trace)).isTrue();
        assertThat(Sampler.DEFAULT.sample(droppedParent, trace)).isFalse();
        assertThat(Sampler.DEFAULT.sample(Optional.empty(), trace)).isTrue();
        Sampler alwaysOn = Sampler.fromEnvironment(Map.of("OTEL_TRACES_SAMPLER", "always_on"));
        assertThat(alwaysOn.sample(droppedParent, trace)).isTrue();
        Sampler off = Sampler.fromEnvironment(Map.of("OTEL_TRACES_SAMPLER", "parentbased_always_off"));
        assertThat(off.sample(Optional.empty(), trace)).isFalse();
        assertThat(off.sample(sampledParent, trace)).isTrue();
        Sampler half = Sampler.fromEnvironment(
                Map.of("OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "0.5"));
        int kept = 0;
        for (int i = 0; i < 4000; i++) {
            kept += half.sample(Optional.empty(), TraceParent.newId(16)) ? 1 : 0;
        }
        assertThat(kept).isBetween(1700, 2300);
    }
}
