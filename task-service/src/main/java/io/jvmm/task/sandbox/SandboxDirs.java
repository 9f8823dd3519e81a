package io.jvmm.task.sandbox;

import io.jvmm.api.Sha256;
import io.jvmm.vmm.CgroupLeaf;
import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Where a sandbox lives on the host (its state directory, short names below it) and how what it left is removed. */
public final class SandboxDirs {
    /**
     * Made on first use: the shim's {@code delete} asks {@link #stateDir} on every run and seldom has
     * anything to clean up, and starting log4j (with the shim's provider, ~270 classes) is most of what it
     * would otherwise load for nothing.
     */
    private static final class Log {
        static final Logger LOG = LogManager.getLogger(SandboxDirs.class);
    }

    private SandboxDirs() {}

    /**
     * The state directory of a sandbox: short (unix socket paths), unique per namespace and sandbox id, and
     * below the state root as the kernel names it (a configured {@code /var/run/jvmm} is {@code /run/jvmm}
     * in the mount table, which teardown reads).
     */
    public static Path stateDir(SandboxSettings settings, String namespace, String sandboxId) {
        return StateRoot.canonical(settings.stateRoot()).resolve("s").resolve(shortHash(namespace + "/" + sandboxId));
    }

    /** 20 hex digits of SHA-256: short names for directories under the state root (unix socket paths are limited). */
    static String shortHash(String text) {
        return Sha256.shortHex(text, 10);
    }

    /** Removes what a sandbox left on the host, from its record: used by close and by a dead shim's delete. */
    public static void cleanUp(Path stateDir) {
        Optional<SandboxRecord> record = SandboxRecord.read(stateDir);
        record.ifPresent(r -> r.processes().forEach(p -> p.live().ifPresent(ProcessHandle::destroyForcibly)));
        // A shim that was killed never removed its VM's cgroup leaf (the leaf's close also ends stragglers).
        record.filter(r -> !r.cgroup().isEmpty())
                .flatMap(r -> CgroupLeaf.recorded(Path.of(r.cgroup())))
                .ifPresent(CgroupLeaf::close);
        try {
            ShareTree.unmountAll(stateDir);
        } catch (IOException e) {
            Log.LOG.warn("cannot unmount below {}: {}", stateDir, e.getMessage());
        }
        deleteTree(stateDir);
    }

    /** {@link SafeTree#delete}, a failure logged: what cannot go now is left for an operator, never forced. */
    static void deleteTree(Path dir) {
        try {
            SafeTree.delete(dir);
        } catch (IOException e) {
            Log.LOG.warn("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
