package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VMM's user as the host knows it, and what a process started through {@link VmmUser#dropPrivileges()} really has. */
class VmmUserTest {
    @Test
    void aProcessStartedAsTheUserHasItsIdsNoCapabilitiesAndNoNewPrivileges() throws Exception {
        VmmUser nobody = VmmUser.lookup("nobody");
        assertThat(nobody.uid()).isEqualTo(65534);
        assertThat(nobody.groups()).startsWith(nobody.gid());

        List<String> command = new ArrayList<>(nobody.dropPrivileges());
        command.addAll(List.of("cat", "/proc/self/status"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(status).isZero();
        assertThat(status)
                .containsPattern("(?m)^Uid:\\s+65534\\s+65534\\s+65534\\s+65534$")
                .containsPattern("(?m)^Gid:\\s+" + nobody.gid() + "\\s")
                .containsPattern("(?m)^CapEff:\\s+0000000000000000$")
                .containsPattern("(?m)^CapBnd:\\s+0000000000000000$")
                .containsPattern("(?m)^NoNewPrivs:\\s+1$");
    }

    @Test
    void aFileItOwnsIsItsAndALinkIsJudgedItself(@TempDir Path dir) throws Exception {
        VmmUser nobody = VmmUser.lookup("nobody");
        Path file = Files.writeString(dir.resolve("memory"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        assertThat(nobody.owns(file)).isFalse();
        nobody.own(file);
        assertThat(nobody.owns(file)).isTrue();
        assertThat(nobody.owns(link)).as("the link, root's, not its target").isFalse();
    }

    @Test
    void rootAndAMissingUserAreRefusedWithTheReason() {
        assertThatThrownBy(() -> VmmUser.lookup("root"))
                .isInstanceOf(VmException.InvalidConfig.class)
                .hasMessageContaining("is root");
        assertThatThrownBy(() -> VmmUser.lookup("jvmm-no-such-user"))
                .isInstanceOf(VmException.InvalidConfig.class)
                .hasMessageContaining("does not exist")
                .hasMessageContaining("vmmUser");
    }
}
