package io.jvmm.vmm.qemu;

import io.jvmm.sys.Libc;
import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The file a migration stream goes to or comes from, opened by the shim and handed to QEMU as a
 * descriptor ({@code getfd}, then {@code fd:<name>}): QEMU's sandbox refuses to spawn the {@code cat} an
 * {@code exec:} URI needs, and a path spliced into a shell command line is a command of its own when it
 * holds a quote or a semicolon.
 */
final class MigrationStream {
    private static final String FD_NAME = "jvmm-migration";

    private MigrationStream() {
    }

    /** Starts an outgoing migration ({@code migrate}) into {@code file}, created (or emptied) owner-only. */
    static void migrateTo(QmpClient qmp, Path file, Duration timeout) {
        int fd = open(file, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        try {
            qmp.executeWithFd("getfd", Map.of("fdname", FD_NAME), fd, timeout);
        } finally {
            Libc.close(fd);
        }
        qmp.execute("migrate", Map.of("uri", "fd:" + FD_NAME), timeout);
    }

    /** Starts an incoming migration ({@code migrate-incoming}, QEMU started with {@code -incoming defer}) from {@code file}. */
    static void migrateFrom(QmpClient qmp, Path file, Duration timeout) {
        int fd = open(file, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        try {
            qmp.executeWithFd("getfd", Map.of("fdname", FD_NAME), fd, timeout);
        } finally {
            Libc.close(fd);
        }
        qmp.execute("migrate-incoming", Map.of("uri", "fd:" + FD_NAME), timeout);
    }

    private static int open(Path file, long flags) {
        try {
            return Libc.open(file.toString(), flags, 0600);
        } catch (IOException e) {
            throw new VmException.MonitorError("cannot open the migration stream's file: " + e.getMessage(), e);
        }
    }
}
