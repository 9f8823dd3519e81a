package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A host tool that never returns (a {@code mount} stuck on a dead NFS server, say), put first on the
 * shim's PATH by this test's own containerd: the Create that needs it fails at the tool's limit with a
 * message naming it, the tool is killed, nothing is left, and the next container runs.
 */
class HungHostToolTest {
    private static final long TIMEOUT = 300;
    /** HostCommand's limit for mount(8). */
    private static final double MOUNT_LIMIT_S = 30;

    private static Path fakeBin;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    @BeforeAll
    static void start() throws Exception {
        jvmm = JvmmRuntime.get();
        fakeBin = Files.createTempDirectory(Path.of("/tmp"), "jvmm-fakebin");
        Path mount = fakeBin.resolve("mount");
        // Hangs (in a process whose command line names this directory) while the flag file exists.
        Files.writeString(mount, """
                #!/bin/sh
                if [ -e %1$s/hang ]; then exec tail -f %1$s/hang; fi
                exec /usr/bin/mount "$@"
                """.formatted(fakeBin));
        Files.setPosixFilePermissions(mount, PosixFilePermissions.fromString("rwxr-xr-x"));
        containerd = PrivateContainerd.start(List.of(fakeBin, jvmm.binDir()));
    }

    @AfterAll
    static void nothingIsLeftBehind() throws Exception {
        try {
            if (containerd != null) {
                assertThat(jvmm.closeAndListLeftovers(containerd)).isEmpty();
            }
        } finally {
            Leftovers.processesMentioning(fakeBin.toString()).forEach(ProcessHandle::destroyForcibly);
            Leftovers.deleteTree(fakeBin);
        }
    }

    @Test
    void aHungMountFailsTheCreateAtItsLimitAndTheNextContainerRuns() throws Exception {
        Files.writeString(fakeBin.resolve("hang"), "");
        long t0 = System.nanoTime();
        PrivateContainerd.Result hung = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, null, List.of(), "hung-mount", "true")));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("HungHostToolTest: the create failed %.1f s after it was asked%n", seconds);

        assertThat(hung.exitCode()).isNotZero();
        assertThat(hung.stderr()).containsPattern("mount --no-canonicalize .* timed out after 30 s");
        assertThat(seconds)
                .as("the create's failure, against the mount limit of %s s plus a boot", MOUNT_LIMIT_S)
                .isBetween(MOUNT_LIMIT_S, MOUNT_LIMIT_S + 90);
        assertThat(Leftovers.processesMentioning(fakeBin.resolve("hang").toString()))
                .as("the hung mount, killed at its limit")
                .isEmpty();
        containerd.ctr(null, "containers", "delete", "hung-mount");

        Files.delete(fakeBin.resolve("hang"));
        PrivateContainerd.Result next = containerd.ctr(
                null,
                CtrArgs.array(
                        CtrArgs.run(false, JvmmRuntime.RUNTIME, null, List.of(), "after-hung-mount", "echo", "fine")));
        assertThat(next.exitCode()).as(next.stderr()).isZero();
        assertThat(next.stdout()).isEqualTo("fine\n");
        assertThat(jvmm.leftoverSandboxes()).isEmpty();
    }
}
