package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache's binary identities, which the launcher's start without a JVM must be able to make too. */
class VersionCacheTest {
    @TempDir
    Path dir;

    /** What packaging/shim/start-fast.sh makes of {@code binary}: its path, then stat's fields. */
    private static String launchersIdentity(Path binary) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-L", "-c", "%d|%i|%s|%.9Y", "--", binary.toString()).start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(stat.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stat.exitValue()).isZero();
        return binary.toString().replace('\t', ' ') + "|" + out;
    }

    @Test
    void theIdentityIsWhatStatPrintsToTheNanosecond() throws Exception {
        Path binary = Files.writeString(dir.resolve("contain\terd"), "#!/bin/sh\n");
        Files.setLastModifiedTime(binary, FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 120_000_009)));
        assertThat(VersionCache.identity(binary.toString())).hasValue(launchersIdentity(binary));
        assertThat(VersionCache.identity(binary.toString()).orElseThrow()).endsWith("|1700000000.120000009");
    }

    @Test
    void aLinkIsIdentifiedByWhatItNames() throws Exception {
        Path binary = Files.writeString(dir.resolve("containerd"), "#!/bin/sh\n");
        Path link = Files.createSymbolicLink(dir.resolve("link"), binary);
        assertThat(VersionCache.identity(link.toString())).hasValue(launchersIdentity(link));
        assertThat(VersionCache.identity(link.toString()).orElseThrow())
                .endsWith(VersionCache.identity(binary.toString())
                        .orElseThrow()
                        .substring(binary.toString().length()));
    }

    @Test
    void aRecordedVersionIsFoundByTheSameIdentityOnly() throws Exception {
        Path binary = Files.writeString(dir.resolve("containerd"), "#!/bin/sh\n");
        VersionCache cache = new VersionCache(dir.resolve("versions"));
        String identity = VersionCache.identity(binary.toString()).orElseThrow();
        cache.record(identity, new int[] {2, 1});
        assertThat(cache.lookUp(identity)).hasValueSatisfying(v -> assertThat(v).containsExactly(2, 1));
        assertThat(Files.readString(dir.resolve("versions"))).isEqualTo(identity + "\t2.1\n");
        Files.writeString(binary, "#!/bin/sh\necho replaced\n");
        assertThat(cache.lookUp(VersionCache.identity(binary.toString()).orElseThrow()))
                .isEmpty();
    }

    @Test
    void aMissingBinaryHasNoIdentity() {
        assertThat(VersionCache.identity(dir.resolve("none").toString())).isEmpty();
    }
}
