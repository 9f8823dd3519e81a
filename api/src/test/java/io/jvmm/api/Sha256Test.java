package io.jvmm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
