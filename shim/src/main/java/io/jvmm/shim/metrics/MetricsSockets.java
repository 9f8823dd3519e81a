package io.jvmm.shim.metrics;

import io.jvmm.api.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the shims of one state root serve their metrics: {@code <stateRoot>/metrics/<hash>.sock}, one per
 * sandbox, named by a hash of its namespace and id (short: unix socket paths are limited). The monitor
 * finds every live shim by listing the directory.
 */
public final class MetricsSockets {
    private MetricsSockets() {}

    public static Path of(Path stateRoot, String namespace, String sandboxId) {
        return stateRoot.resolve("metrics").resolve(Sha256.shortHex(namespace + "/" + sandboxId, 10) + ".sock");
    }

    /** The sockets under {@code stateRoot}, in name order (a shim that was killed may have left its own). */
    static List<Path> list(Path stateRoot) throws IOException {
        try (Stream<Path> files = Files.list(stateRoot.resolve("metrics"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sock"))
                    .sorted()
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }
}
