package io.jvmm.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a running VM's host processes must show (docs/security.md): QEMU in its seccomp sandbox with
 * NoNewPrivs, as an unprivileged user with no effective capability, in a root of its own; the vsock
 * helper unprivileged and jailed too. Read from {@code /proc/<pid>/status} and {@code /proc/<pid>/root},
 * as an operator would check it.
 */
public final class VmmConfinement {
    private VmmConfinement() {}

    /** Checks every QEMU and vhost-device-vsock whose command line names {@code stateRoot}; answers how many QEMUs there were. */
    public static int assertConfined(Path stateRoot) throws IOException {
        List<ProcessHandle> qemus = named(stateRoot, "qemu-system-x86_64");
        assertThat(qemus).as("QEMU processes of %s", stateRoot).isNotEmpty();
        for (ProcessHandle p : qemus) {
            String status = status(p);
            assertThat(status)
                    .as("QEMU %d", p.pid())
                    .containsPattern("(?m)^Seccomp:\\s+2$")
                    .containsPattern("(?m)^NoNewPrivs:\\s+1$")
                    .containsPattern("(?m)^CapEff:\\s+0000000000000000$")
                    .doesNotContainPattern("(?m)^Uid:\\s+0\\s");
            assertThat(root(p)).as("QEMU %d's root", p.pid()).endsWith("/jail");
        }
        for (ProcessHandle p : named(stateRoot, "vhost-device-vsock")) {
            assertThat(status(p))
                    .as("vhost-device-vsock %d", p.pid())
                    .containsPattern("(?m)^CapEff:\\s+0000000000000000$")
                    .doesNotContainPattern("(?m)^Uid:\\s+0\\s")
                    .containsPattern("(?m)^NoNewPrivs:\\s+1$");
            assertThat(root(p)).as("vhost-device-vsock %d's root", p.pid()).endsWith("/jail");
        }
        return qemus.size();
    }

    private static List<ProcessHandle> named(Path stateRoot, String binary) {
        return Leftovers.processesMentioning(stateRoot.toString()).stream()
                .filter(p -> p.info().command().orElse("").endsWith("/" + binary))
                .toList();
    }

    private static String root(ProcessHandle p) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "root"))
                .toString();
    }

    private static String status(ProcessHandle p) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
    }
}
