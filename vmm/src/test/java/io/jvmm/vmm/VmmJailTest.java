package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real jail (the tests run as root): what a process inside sees of the host, and as whom it runs. */
class VmmJailTest {
    @TempDir
    Path dir;

    @Test
    void aJailedProcessSeesOnlyWhatItWasGivenAndRunsUnprivileged() throws Exception {
        Path given = Files.writeString(dir.resolve("kernel image"), "kernel's bytes");
        Path state = Files.createDirectories(dir.resolve("deeper/state")); // directories to pass on the way
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path secret = Files.writeString(dir.resolve("not-given"), "host data");
        Path root = Files.createDirectories(dir.resolve("jail"));
        VmmUser nobody = VmmUser.lookup("nobody");
        // A file under /usr (as an image installed in /usr/local is) is already there through /usr's bind.
        Path underUsr = Path.of("/usr/bin/setpriv");
        String script = "cat '" + given + "'; echo; echo written > '" + state + "/out'; test -x " + underUsr
                + " && echo usr-file; "
                + "test -e '" + secret + "' && echo SEES-THE-HOST; test -e /etc/passwd && echo SEES-ETC; "
                + "echo root: $(ls /); grep -E '^(Uid|CapEff|NoNewPrivs)' /proc/self/status 2>/dev/null || echo no-proc; "
                + "echo x > '" + given + "' 2>/dev/null || echo read-only";
        List<String> command = new ArrayList<>(nobody.dropPrivileges());
        command.addAll(List.of("/bin/sh", "-c", script));
        // The shim runs with umask 077: the jail must still let the unprivileged user through.
        List<String> underShimUmask = new ArrayList<>(List.of("/bin/sh", "-c", "umask 077; exec \"$@\"", "shim"));
        underShimUmask.addAll(new VmmJail(root, List.of(given, underUsr), List.of(state)).wrap(command));
        Process p = new ProcessBuilder(underShimUmask).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out)
                .startsWith("kernel's bytes\n")
                .doesNotContain("SEES-THE-HOST")
                .doesNotContain("SEES-ETC")
                .contains("read-only")
                .contains("usr-file")
                .containsPattern("root: (bin )?dev .*usr");
        assertThat(state.resolve("out")).hasContent("written\n");
        assertThat(given).hasContent("kernel's bytes");
        assertThat(root).isEmptyDirectory();
    }

    @Test
    void wordsAreQuotedForTheShell() {
        assertThat(VmmJail.quote("/a b/it's")).isEqualTo("'/a b/it'\\''s'");
    }
}
