package io.jvmm.shim;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.TemplateLimits;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The template registry command over real snapshot directories (committed by {@link GuestSnapshot#commit},
 * as a save does, from stand-in device state and memory: the registry never reads them as a VM).
 */
class TemplatesCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private GuestSnapshot template(Path stateRoot, String key) throws Exception {
        return template(stateRoot, key, "initrd.img");
    }

    /** A template saved from the kernel {@code vmlinuz} and the initrd {@code initrd} under the state root. */
    private GuestSnapshot template(Path stateRoot, String key, String initrdName) throws Exception {
        Path kernel = imageFile(stateRoot.resolve("vmlinuz"), "k");
        Path initrd = imageFile(stateRoot.resolve(initrdName), "i");
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
        Files.write(snapshot.partialDir().resolve("guest.mem"), new byte[4096]);
        snapshot.commit(config, VmmType.QEMU, "7.2.0");
        return snapshot;
    }

    /** Written once: rewriting an image file (a new modification time) makes it another image. */
    private static Path imageFile(Path file, String content) throws IOException {
        return Files.exists(file) ? file : Files.writeString(file, content);
    }

    private int run(Path stateRoot, String... args) throws Exception {
        out.reset();
        err.reset();
        return new TemplatesCommand(
                        stateRoot,
                        TemplateLimits.NONE,
                        () -> {
                            throw new IllegalStateException("no configuration in these tests");
                        },
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(List.of(args));
    }

    @Test
    void makeRefusesOptionsItDoesNotKnowOrCannotRead(@TempDir Path stateRoot) throws Exception {
        SandboxSettings settings = new SandboxSettings(
                VmmType.QEMU,
                stateRoot.resolve("k"),
                stateRoot.resolve("i"),
                Optional.empty(),
                1,
                512,
                Accel.TCG,
                stateRoot,
                Duration.ofSeconds(5),
                "",
                true);
        for (String[] bad :
                new String[][] {{"--vcpu", "2"}, {"--vcpus"}, {"--memory-mib", "lots"}, {"--memory-mib", "16"}}) {
            out.reset();
            err.reset();
            List<String> args = new ArrayList<>(List.of("make"));
            args.addAll(List.of(bad));
            int status = new TemplatesCommand(
                            stateRoot,
                            TemplateLimits.NONE,
                            () -> settings,
                            new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8))
                    .run(args);
            assertThat(status).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(err.toString()).startsWith("templates make: ");
        }
        assertThat(stateRoot.resolve("t")).doesNotExist();
    }

    @Test
    void listsPinsAndDeletesButNeverATemplateInUse(@TempDir Path stateRoot) throws Exception {
        GuestSnapshot a = template(stateRoot, "aaaa");
        GuestSnapshot b = template(stateRoot, "bbbb");
        Files.createDirectories(stateRoot.resolve("t").resolve("cccc").resolve("snapshot.partial"));

        assertThat(run(stateRoot, "list")).isZero();
        assertThat(out.toString())
                .contains("aaaa\t1 vCPU\t512 MiB\tTCG\tformat 1\tqemu 7.2.0")
                .contains("bbbb")
                .as("a half-written snapshot is not listed")
                .doesNotContain("cccc");

        assertThat(run(stateRoot, "pin", "aaaa")).isZero();
        assertThat(run(stateRoot, "delete", "aaaa")).isEqualTo(1);
        assertThat(err.toString()).contains("pinned");
        try (Closeable lease = b.lease()) {
            assertThat(run(stateRoot, "list")).isZero();
            assertThat(out.toString()).contains("aaaa").containsPattern("bbbb.*in use");
            assertThat(run(stateRoot, "delete", "--all")).isEqualTo(1);
            assertThat(err.toString()).contains("bbbb is in use");
            assertThat(b.exists()).isTrue();
        }
        assertThat(run(stateRoot, "delete", "--all")).isZero();
        assertThat(out.toString()).contains("deleted bbbb");
        assertThat(b.exists()).isFalse();
        assertThat(a.exists()).as("pinned: kept by --all").isTrue();

        assertThat(run(stateRoot, "unpin", "aaaa")).isZero();
        assertThat(run(stateRoot, "delete", "aaaa")).isZero();
        assertThat(a.exists()).isFalse();
        assertThat(run(stateRoot, "delete", "nope")).isEqualTo(1);
        assertThat(err.toString()).contains("no template nope");
        assertThat(run(stateRoot, "frobnicate")).isEqualTo(2);
    }

    @Test
    void pruneAlsoDeletesWhatTheConfiguredLimitsDoNotAllow(@TempDir Path stateRoot) throws Exception {
        GuestSnapshot a = template(stateRoot, "aaaa");
        GuestSnapshot b = template(stateRoot, "bbbb");
        VmTemplates.pin(b, true);
        out.reset();
        int status = new TemplatesCommand(
                        stateRoot,
                        TemplateLimits.of(0, null),
                        () -> {
                            throw new IllegalStateException("prune needs no configuration beyond its limits");
                        },
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(List.of("prune"));
        assertThat(status).isZero();
        assertThat(out.toString())
                .contains("deleted aaaa (beyond the configuration's template limits)")
                .doesNotContain("bbbb");
        assertThat(a.exists()).isFalse();
        assertThat(b.exists()).as("pinned").isTrue();
    }

    /** A reinstall removes the image it replaces; the templates saved from it can never be restored again. */
    @Test
    void pruneDeletesTheTemplatesWhoseImageIsGoneUnlessPinnedOrInUse(@TempDir Path stateRoot) throws Exception {
        GuestSnapshot current = template(stateRoot, "aaaa", "initrd-new.img");
        GuestSnapshot stale = template(stateRoot, "bbbb", "initrd-old.img");
        GuestSnapshot stalePinned = template(stateRoot, "cccc", "initrd-old.img");
        GuestSnapshot staleInUse = template(stateRoot, "dddd", "initrd-old.img");
        assertThat(run(stateRoot, "pin", "cccc")).isZero();
        Files.delete(stateRoot.resolve("initrd-old.img"));

        try (Closeable lease = staleInUse.lease()) {
            assertThat(run(stateRoot, "prune")).isZero();
            assertThat(out.toString())
                    .contains("deleted bbbb (its guest image is gone)")
                    .contains("kept cccc, whose guest image is gone: pinned")
                    .contains("kept dddd, whose guest image is gone: in use by a running VM")
                    .doesNotContain("aaaa");
        }
        assertThat(stale.exists()).isFalse();
        assertThat(stateRoot.resolve("t").resolve("bbbb"))
                .as("nothing left of it")
                .doesNotExist();
        assertThat(current.exists()).isTrue();
        assertThat(stalePinned.exists()).isTrue();
        assertThat(staleInUse.exists()).isTrue();

        assertThat(run(stateRoot, "prune")).isZero();
        assertThat(out.toString()).contains("deleted dddd");
        assertThat(staleInUse.exists()).as("its lease released").isFalse();
    }

    /** Replaced rather than removed: the same path, another size, is another image. */
    @Test
    void aTemplateWhoseImageWasReplacedInPlaceIsStaleToo(@TempDir Path stateRoot) throws Exception {
        GuestSnapshot template = template(stateRoot, "aaaa");
        assertThat(template.imageStillThere()).isTrue();

        Files.writeString(stateRoot.resolve("initrd.img"), "another initrd");

        assertThat(template.imageStillThere()).isFalse();
        assertThat(run(stateRoot, "prune")).isZero();
        assertThat(template.exists()).isFalse();
    }

    /** What cannot be read is not deleted on a guess. */
    @Test
    void pruneLeavesATemplateWhoseManifestCannotBeRead(@TempDir Path stateRoot) throws Exception {
        GuestSnapshot unreadable = template(stateRoot, "aaaa");
        Files.writeString(unreadable.manifestFile(), "{ not json");

        assertThat(run(stateRoot, "prune")).isZero();

        assertThat(unreadable.exists()).isTrue();
        assertThat(out.toString()).doesNotContain("aaaa");
    }
}
