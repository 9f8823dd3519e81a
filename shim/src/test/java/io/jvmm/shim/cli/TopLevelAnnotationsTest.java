package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** start's scanner of a spec's annotations, against Jackson's reading of the same documents. */
class TopLevelAnnotationsTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Property(tries = 300)
    void theAnnotationsAreWhatJacksonReads(
            @ForAll @Size(max = 6) Map<@StringLength(max = 20) String, @StringLength(max = 40) String> annotations,
            @ForAll @Size(max = 4) List<@StringLength(max = 30) String> noise,
            @ForAll boolean annotationsFirst)
            throws IOException {
        Map<String, Object> spec = new LinkedHashMap<>();
        Map<String, Object> withNested = new LinkedHashMap<>(annotations);
        withNested.put("nested \" {", Map.of("annotations", Map.of("x", "y"), "list", List.of(1, "]", noise)));
        if (annotationsFirst) {
            spec.put("annotations", withNested);
        }
        spec.put("ociVersion", "1.0.2");
        spec.put("process", Map.of("args", noise, "env", List.of("annotations={"), "terminal", false));
        spec.put("linux", Map.of("annotations", Map.of("not", "these"), "n", -1.5e3, "z", List.of()));
        if (!annotationsFirst) {
            spec.put("annotations", withNested);
        }
        byte[] json = JACKSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);

        assertThat(TopLevelAnnotations.of(json)).isEqualTo(annotations);
    }

    @Test
    void escapesAreDecoded() throws IOException {
        String json = "{\"annotations\":{\"k\\u00e9\\n\":\"v\\\"\\\\\\/\\t\\u0041\"}}";
        assertThat(TopLevelAnnotations.of(json.getBytes(StandardCharsets.UTF_8)))
                .containsExactly(Map.entry("ké\n", "v\"\\/\tA"));
    }

    @Test
    void whatIsNoJsonObjectOrEndsEarlyIsRefused() {
        for (String bad : List.of(
                "",
                "[1,2]",
                "{\"annotations\":{\"a\":",
                "{\"annotations\":{\"a\":\"b\"}",
                "{\"a\":[1,{\"b\":2}",
                "{\"a\":\"unterminated}",
                "{\"a\":1} trailing",
                "{\"a\":\"\\x\"}",
                "{\"a\" 1}",
                "{\"a\":}")) {
            assertThatThrownBy(() -> TopLevelAnnotations.of(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isInstanceOf(IOException.class);
        }
    }
}
