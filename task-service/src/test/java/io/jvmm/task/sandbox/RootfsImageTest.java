package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsImageTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void anImageBuiltFromAMeasuredSizeHasThatSizeAndHoldsTheRoot() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root/etc"));
        Files.writeString(root.resolve("hostname"), "measured-once");
        Files.write(dir.resolve("root/blob"), new byte[3 * (int) MIB]);
        long size = RootfsImage.sizeBytes(dir.resolve("root"));
        // Twice what it holds (3 MiB and three files' overhead), plus 256 MiB of headroom, in whole MiB.
        assertThat(size % MIB).isZero();
        assertThat(size).isBetween(262 * MIB, 264 * MIB);

        Path image = dir.resolve("images/root.ext4");
        RootfsImage.build(dir.resolve("root"), image, size);
        assertThat(Files.size(image)).isEqualTo(size);
        Process cat = new ProcessBuilder("/usr/sbin/debugfs", "-R", "cat /etc/hostname", image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String hostname = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cat.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(hostname).isEqualTo("measured-once");
    }
}
