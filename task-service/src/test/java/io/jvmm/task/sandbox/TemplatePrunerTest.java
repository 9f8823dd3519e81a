package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplatePrunerTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    @TempDir
    Path stateRoot;

    /** A complete template {@code key} with a memory file of {@code mib} (sparse), last used {@code daysAgo}. */
    private GuestSnapshot template(String key, int mib, int daysAgo) throws IOException {
        Path kernel = stateRoot.resolve("vmlinuz");
        Path initrd = stateRoot.resolve("initrd.img");
        if (!Files.exists(kernel)) {
            Files.writeString(kernel, "k");
            Files.writeString(initrd, "i");
        }
        VmConfig config = new VmConfig(
                Files.createDirectories(stateRoot.resolve("vm-" + key)),
                kernel,
                initrd,
                Optional.empty(),
                Optional.empty(),
                1,
                512,
                3,
                Accel.TCG,
                "");
        GuestSnapshot snapshot = new GuestSnapshot(
                Files.createDirectories(stateRoot.resolve("t").resolve(key)).resolve("snapshot"));
        Files.createDirectories(snapshot.partialDir());
        Files.write(snapshot.partialDir().resolve("guest.vmstate"), new byte[] {1, 2, 3});
        try (RandomAccessFile mem =
                new RandomAccessFile(snapshot.partialDir().resolve("guest.mem").toFile(), "rw")) {
            mem.setLength((long) mib << 20);
        }
        snapshot.commit(config, VmmType.QEMU, "7.2.0");
        FileTime then = FileTime.from(NOW.minus(Duration.ofDays(daysAgo)));
        Files.setLastModifiedTime(snapshot.dir(), then);
        return snapshot;
    }

    private List<GuestSnapshot> prune(TemplateLimits limits, long reserveMib) throws IOException {
        return TemplatePruner.prune(stateRoot, limits, reserveMib, NOW);
    }

    @Test
    void withoutLimitsNothingIsDeleted() throws Exception {
        template("aaaa", 2, 400);
        assertThat(prune(TemplateLimits.NONE, 1 << 20)).isEmpty();
        assertThat(VmTemplates.list(stateRoot)).hasSize(1);
    }

    @Test
    void aTemplateUnusedForLongerThanAllowedIsDeletedUnlessPinnedOrMapped() throws Exception {
        GuestSnapshot old = template("aaaa", 2, 10);
        GuestSnapshot recent = template("bbbb", 2, 1);
        GuestSnapshot pinned = template("cccc", 2, 10);
        GuestSnapshot mapped = template("dddd", 2, 10);
        VmTemplates.pin(pinned, true);
        TemplateLimits week = new TemplateLimits(OptionalLong.empty(), Optional.of(Duration.ofDays(7)));
        try (Closeable lease = mapped.lease()) {
            assertThat(prune(week, 0)).containsExactly(old);
        }
        assertThat(VmTemplates.list(stateRoot)).containsExactlyInAnyOrder(recent, pinned, mapped);
        // Its key directory goes with it (no maker can need it again).
        assertThat(stateRoot.resolve("t").resolve("aaaa")).doesNotExist();
    }

    @Test
    void aRestoreCountsAsAUse() throws Exception {
        GuestSnapshot t = template("aaaa", 2, 10);
        TemplatePruner.markUsed(t);
        assertThat(TemplatePruner.lastUsed(t)).isAfter(NOW.minus(Duration.ofDays(1)));
        TemplateLimits week = new TemplateLimits(OptionalLong.empty(), Optional.of(Duration.ofDays(7)));
        assertThat(TemplatePruner.prune(stateRoot, week, 0, Instant.now())).isEmpty();
    }

    @Test
    void beyondTheSizeLimitTheLeastRecentlyUsedGoFirstLeavingRoomForTheNextOne() throws Exception {
        GuestSnapshot oldest = template("aaaa", 2, 3);
        GuestSnapshot middle = template("bbbb", 2, 2);
        GuestSnapshot newest = template("cccc", 2, 1);
        // Each holds 2 MiB and a few bytes of state and manifest.
        TemplateLimits fiveMib = new TemplateLimits(OptionalLong.of(5), Optional.empty());
        assertThat(prune(fiveMib, 0)).containsExactly(oldest);
        assertThat(VmTemplates.list(stateRoot)).containsExactlyInAnyOrder(middle, newest);
        // A 2 MiB template about to be made needs room too.
        assertThat(prune(fiveMib, 2)).containsExactly(middle);
        assertThat(VmTemplates.list(stateRoot)).containsExactly(newest);
    }

    @Test
    void aNegativeLimitIsAConfigurationError() {
        assertThatThrownBy(() -> TemplateLimits.of(-1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("templateMaxMib");
        assertThat(TemplateLimits.of(null, null)).isEqualTo(TemplateLimits.NONE);
        assertThat(TemplateLimits.of(2048, 7))
                .isEqualTo(new TemplateLimits(OptionalLong.of(2048), Optional.of(Duration.ofDays(7))));
    }
}
