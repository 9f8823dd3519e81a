package io.jvmm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {
    @Test
    void knownAnswers() {
        assertThat(Sha256.hex("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(Sha256.hex("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Sha256.shortHex("abc", 10)).isEqualTo("ba7816bf8f01cfea4141");
    }

    @Test
    void filesHashAsTheirConcatenation(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "a");
        Path bc = Files.write(dir.resolve("bc"), "bc".repeat(70_000).getBytes());
        assertThat(Sha256.ofFiles(List.of(a, bc))).isEqualTo(Sha256.hex("a" + "bc".repeat(70_000)));
    }

    /** The compact digest against the platform's, across block boundaries and the padding's edge cases. */
    @Property(tries = 500)
    void theCompactDigestIsThePlatforms(@ForAll @Size(max = 300) byte[] message) throws Exception {
        assertThat(CompactSha256.digest(message))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(message));
    }

    @Test
    void everyLengthAroundTheBlockEdgesHashesAsThePlatformDoes() throws Exception {
        for (int length = 0; length <= 200; length++) {
            byte[] message = new byte[length];
            Arrays.fill(message, (byte) length);
            assertThat(CompactSha256.digest(message))
                    .as("length %d", length)
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(message));
        }
    }
}
