package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The installed shim on a CPU with fewer features than the one its AOT caches were trained on, as when a
 * machine image with jvmm installed is started on another host: its JVM runs under QEMU's user-mode
 * emulator as a 2008 CPU (no AVX). A cache that carried machine code made for the training CPU crashed it.
 */
class ShimPortabilityTest {
    private static final String OLD_CPU = "Nehalem";
    private static final Pattern JAVA_EXEC = Pattern.compile("(?m)^exec (\"[^\"]+/bin/java\") ");

    private Path dir;

    @AfterEach
    void removeCopy() {
        if (dir != null) {
            Leftovers.deleteTree(dir);
        }
    }

    /** Each of the three caches: the server's (every action but start and delete), start's and delete's own. */
    @ParameterizedTest
    @ValueSource(strings = {"shim.aot", "start.aot", "delete.aot"})
    void theInstalledShimRunsOnAnOlderCpu(String cache) throws Exception {
        Path launcher = launcherOn(OLD_CPU, cache);
        Process p = new ProcessBuilder(launcher.toString(), "-v")
                .redirectErrorStream(true)
                .start();
        byte[] out;
        try (var in = p.getInputStream()) {
            out = in.readAllBytes();
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("Runtime:  io.containerd.jvmm.v2").doesNotContain("fatal error");
    }

    /** The emulator itself is no excuse: the same JVM without any cache runs there too. */
    @Test
    void theEmulatorRunsThisJvm() throws Exception {
        Process p = new ProcessBuilder(
                        "qemu-x86_64",
                        "-cpu",
                        OLD_CPU,
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-version")
                .redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
    }

    /** A copy of the installed launcher whose JVM runs emulated as {@code cpu}, always with {@code cache}. */
    private Path launcherOn(String cpu, String cache) throws IOException {
        Path installed = JvmmRuntime.get().shim();
        Path cacheFile =
                installed.getParent().getParent().resolve("lib/jvmm/shim").resolve(cache);
        String script = Files.readString(installed);
        Matcher java = JAVA_EXEC.matcher(script);
        assertThat(java.find())
                .as("the launcher's exec line (packaging/shim/containerd-shim-jvmm-v2.in):%n%s", script)
                .isTrue();
        String emulated =
                java.replaceFirst(Matcher.quoteReplacement("exec qemu-x86_64 -cpu " + cpu + " " + java.group(1) + " "));
        String forced = emulated.replaceFirst(
                "(?m)^aot=\"\"$", Matcher.quoteReplacement("cache=\"" + cacheFile + "\"\naot=\"\""));
        assertThat(forced).as("the launcher picks its cache before it sets aot").isNotEqualTo(emulated);
        assertThat(cacheFile).isRegularFile();
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-port");
        Path copy = dir.resolve("containerd-shim-jvmm-v2");
        Files.writeString(copy, forced);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        return copy;
    }
}
