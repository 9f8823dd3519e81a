package io.jvmm.vmm.qemu;

import io.jvmm.sys.Libc;
import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * QEMU's migrations (snapshots, checkpoints, restores) as the shim drives them over QMP. The file a
 * migration stream goes to or comes from is opened by the shim and handed to QEMU as a descriptor ({@code getfd}, then {@code fd:<name>}): QEMU's sandbox refuses to spawn the {@code cat} an
 * {@code exec:} URI needs, and a path spliced into a shell command line is a command of its own when it
 * holds a quote or a semicolon.
 */
final class MigrationStream {
    private static final String FD_NAME = "jvmm-migration";
    private static final Duration POLL = Duration.ofMillis(20);

    private MigrationStream() {}

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

    /**
     * Whether guest memory stays out of the migration stream (x-ignore-shared): for snapshots it is the file
     * the VM ran on, which the snapshot keeps; a checkpoint carries it in the stream. Set on both ends.
     */
    static void ignoreSharedMemory(QmpClient qmp, boolean ignore, Duration call) {
        qmp.execute(
                "migrate-set-capabilities",
                Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", ignore))),
                call);
    }

    /** Waits until an outgoing or incoming migration has completed; fails on its failure or at the deadline. */
    static void await(QmpClient qmp, String what, long deadline, Duration call) {
        while (true) {
            var status = qmp.execute("query-migrate", null, call);
            String s = status.text("status");
            if (s.equals("completed")) {
                return;
            }
            if (s.equals("failed") || s.equals("cancelled")) {
                throw new VmException.MonitorError(what + " failed: " + status.text("error-desc", s), null);
            }
            if (System.nanoTime() > deadline) {
                throw new VmException.Timeout(what + " did not complete in time (" + s + ")");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException.MonitorError(what + " interrupted", e);
            }
        }
    }

    /** A whole outgoing migration into {@code file}; {@code ignoreShared}: guest memory stays out of it. */
    static void save(QmpClient qmp, Path file, boolean ignoreShared, String what, long deadline, Duration call) {
        ignoreSharedMemory(qmp, ignoreShared, call);
        migrateTo(qmp, file, call);
        await(qmp, what, deadline, call);
    }

    /** A whole incoming migration from {@code file}, after which the guest runs on. */
    static void restore(QmpClient qmp, Path file, boolean ignoreShared, String what, long deadline, Duration call) {
        ignoreSharedMemory(qmp, ignoreShared, call);
        migrateFrom(qmp, file, call);
        await(qmp, what, deadline, call);
        qmp.execute("cont", null, call);
    }
}
