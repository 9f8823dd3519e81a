package io.jvmm.guest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The guest's {@code init} starts the agent's JVM as soon as the runtime disk is mounted and meanwhile
 * loads the other modules (vsock, virtiofs, the network card, the console port, the power button),
 * configures the network and mounts the share; it creates a marker file when all of that is done. The
 * agent waits for the marker before it binds its ports, so the host never reaches an agent whose guest
 * is not ready for containers. Under TCG the JVM's start-up takes seconds and the devices ~0.3 s, so the
 * wait is normally over before it begins.
 */
final class DevicesReady {
    private static final AgentLog LOG = AgentLog.of(DevicesReady.class);
    private static final long POLL_MS = 10;

    private DevicesReady() {}

    /** The marker {@code init} names ({@code -Djvmm.agent.devicesReady=<path>}); none outside a guest. */
    static Optional<Path> marker() {
        String path = System.getProperty("jvmm.agent.devicesReady", "");
        return path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path));
    }

    /**
     * Waits until {@code marker} exists or {@code timeout} passes. Past the deadline the agent goes on
     * (logged): what is missing then fails where it is used, with its own error.
     *
     * @return how long it waited
     */
    static Duration await(Optional<Path> marker, Duration timeout) throws InterruptedException {
        if (marker.isEmpty()) {
            return Duration.ZERO;
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!Files.exists(marker.get())) {
            if (System.nanoTime() - deadline >= 0) {
                LOG.warn(
                        "init did not report the guest's devices ready ({0}) within {1} ms; going on without them",
                        marker.get(), timeout.toMillis());
                break;
            }
            Thread.sleep(POLL_MS);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
