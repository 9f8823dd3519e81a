package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent's wait for init's marker that the guest's devices are up (see packaging/guest/init). */
@Timeout(30)
class DevicesReadyTest {
    @TempDir
    Path dir;

    @Test
    void outsideAGuestThereIsNothingToWaitFor() throws InterruptedException {
        assertThat(DevicesReady.marker()).isEmpty();
        assertThat(DevicesReady.await(Optional.empty(), Duration.ofSeconds(10))).isZero();
    }

    @Test
    void waitsUntilInitCreatesTheMarker() throws InterruptedException {
        Path marker = dir.resolve("devices-ready");
        Thread init = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(300);
                Files.createFile(marker);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        Duration waited = DevicesReady.await(Optional.of(marker), Duration.ofSeconds(20));

        init.join();
        assertThat(marker).exists();
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aMarkerThatIsThereEndsTheWaitAtOnce() throws Exception {
        Path marker = Files.createFile(dir.resolve("devices-ready"));

        assertThat(DevicesReady.await(Optional.of(marker), Duration.ofSeconds(20)))
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void goesOnWhenInitNeverReports() throws InterruptedException {
        Path marker = dir.resolve("never");

        Duration waited = DevicesReady.await(Optional.of(marker), Duration.ofMillis(200));

        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(marker).doesNotExist();
    }

    @Test
    void theMarkerComesFromTheSystemProperty() {
        String previous = System.getProperty("jvmm.agent.devicesReady");
        System.setProperty("jvmm.agent.devicesReady", "/run/jvmm-devices-ready");
        try {
            assertThat(DevicesReady.marker()).contains(Path.of("/run/jvmm-devices-ready"));
        } finally {
            if (previous == null) {
                System.clearProperty("jvmm.agent.devicesReady");
            } else {
                System.setProperty("jvmm.agent.devicesReady", previous);
            }
        }
    }

    /** init creates the marker it names to the agent, once its devices are done, in the background. */
    @Test
    void initCreatesTheMarkerItNamesToTheAgent() throws IOException {
        String init = Files.readString(Path.of("../packaging/guest/init"));

        assertThat(init)
                .containsPattern("(?m)^devices_ready=/run/\\S+$")
                .contains("-Djvmm.agent.devicesReady=\"$devices_ready\"")
                .containsPattern("(?m)^\\{ devices; : >\"\\$devices_ready\"; } &$");
    }
}
