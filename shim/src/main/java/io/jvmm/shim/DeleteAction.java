package io.jvmm.shim;

import io.jvmm.api.containerd.task.v3.DeleteResponse;
import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import io.jvmm.shim.metrics.MetricsSockets;
import io.jvmm.task.sandbox.SandboxDirs;
import io.jvmm.task.sandbox.StateRoot;
import io.jvmm.task.ttrpc.TaskEndpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * {@code containerd-shim-jvmm-v2 delete}: containerd's cleanup after a shim it can no longer reach (or
 * after a normal exit). When the group's server is gone, everything its sandbox left on the host goes:
 * VM processes, mounts, state, socket. Idempotent, quick when there is nothing left, and answers as the
 * runc shim does: exit status 137 at the current time.
 */
final class DeleteAction {
    private final ShimFlags flags;
    private final Path bundle;
    private final RuntimeConfig config;

    DeleteAction(ShimFlags flags, Path bundle, RuntimeConfig config) {
        this.flags = flags;
        this.bundle = bundle;
        this.config = config;
    }

    void run(OutputStream out) throws IOException {
        String group = GroupId.of(bundle, flags.id());
        Path socket =
                SocketAddress.forDelete(bundle, SocketAddress.DEFAULT_DIR, flags.address(), flags.namespace(), group);
        if (!StartAction.accepts(socket)) {
            Path stateDir = SandboxDirs.stateDir(config.settings(), flags.namespace(), group);
            if (Files.exists(stateDir)) {
                SandboxDirs.cleanUp(stateDir);
            }
            StartAction.removeGroupFiles(socket);
            // A server that was killed left its metrics socket: the monitor would ask it at every scrape.
            Files.deleteIfExists(
                    MetricsSockets.of(StateRoot.canonical(config.settings().stateRoot()), flags.namespace(), group));
        }
        DeleteResponse.newBuilder()
                .setExitStatus(128 + 9)
                .setExitedAt(TaskEndpoint.timestamp(Instant.now()))
                .build()
                .writeTo(out);
        out.flush();
    }
}
