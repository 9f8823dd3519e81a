package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What packaging/shim/install.sh leaves: the configuration names a guest image installed with the runtime,
 * not the build cache's copy, which the next builds prune (and which /var/cache's rules let anyone delete).
 */
class InstallLayoutTest {
    @Test
    void theConfigurationNamesTheInstalledGuestImage() throws IOException {
        JvmmRuntime jvmm = JvmmRuntime.get();
        Path guest = jvmm.binDir().getParent().resolve("lib/jvmm/guest");
        JsonNode config = new ObjectMapper().readTree(jvmm.config().toFile());

        List<Path> image = Stream.of("kernel", "initrd", "runtimeDisk")
                .map(key -> Path.of(config.get(key).asText()))
                .toList();

        assertThat(image).allSatisfy(file -> {
            assertThat(file.getParent()).isEqualTo(guest);
            assertThat(file).isRegularFile().isReadable();
            assertThat(Files.size(file)).isPositive();
        });
        assertThat(image.stream().map(p -> p.getFileName().toString()))
                .allMatch(
                        name -> name.matches("(vmlinuz|initrd|runtime)-[0-9a-f]{16}(\\.img|\\.sqfs)?"),
                        "content-hashed names");
        try (Stream<Path> installed = Files.list(guest)) {
            assertThat(installed.toList())
                    .as("nothing but the image the configuration names")
                    .containsExactlyInAnyOrderElementsOf(image);
        }
    }
}
