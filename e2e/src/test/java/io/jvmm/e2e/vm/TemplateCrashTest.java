package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.qemu.QemuVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Crash safety of templates: a process making one (the code a shim runs when templates are on) is
 * killed with SIGKILL at random moments, from its VM's boot to the snapshot's commit. After each kill no
 * template is listed unless it is whole (it then verifies against its manifest), and the next attempt
 * cleans up what the dead one left and makes a template that restores.
 */
class TemplateCrashTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final int KILLS = 3;
    private Path stateRoot;

    @AfterEach
    void cleanUp() {
        if (stateRoot != null) {
            Leftovers.deleteTree(stateRoot);
        }
    }

    /** Makes the template of {@code args[0]} (state root) and exits: what the test kills. */
    public static void main(String[] args) throws Exception {
        VmTemplates.ensure(settings(Path.of(args[0])), new VmSize(1, 512), Accel.TCG);
        System.exit(0);
    }

    private static SandboxSettings settings(Path stateRoot) {
        GuestImage image = GuestImage.get();
        return new SandboxSettings(
                VmmType.QEMU,
                image.kernel(),
                image.initrd(),
                Optional.of(image.runtimeDisk()),
                1,
                512,
                Accel.TCG,
                stateRoot,
                TIMEOUT,
                "",
                true);
    }

    @Test
    void aTemplateMakerKilledAtRandomLeavesNothingThatLooksWhole() throws Exception {
        stateRoot = Files.createTempDirectory(Path.of("/tmp"), "jvmm-tc");
        GuestImage.get();
        SandboxSettings settings = settings(stateRoot);
        GuestSnapshot template = VmTemplates.locate(settings, new VmSize(1, 512), Accel.TCG);
        Random random = new Random();
        String java = ProcessHandle.current().info().command().orElseThrow();
        for (int i = 0; i < KILLS; i++) {
            Process maker = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            TemplateCrashTest.class.getName(),
                            stateRoot.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(stateRoot.resolve("maker-" + i + ".log").toFile())
                    .start();
            long killAfterMs = 2_000 + random.nextInt(14_000);
            boolean finished = maker.waitFor(killAfterMs, TimeUnit.MILLISECONDS);
            if (!finished) {
                maker.destroyForcibly();
                assertThat(maker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            System.out.printf("template maker %d: %s after %d ms%n", i, finished ? "finished" : "killed", killAfterMs);
            List<GuestSnapshot> listed = VmTemplates.list(stateRoot);
            for (GuestSnapshot s : listed) {
                s.verifyFor(configFor(settings, "verify-" + i), VmmType.QEMU); // a listed template is whole
            }
            assertThat(listed).allMatch(s -> !s.dir().getFileName().toString().endsWith(".partial"));
            if (finished) {
                assertThat(listed).containsExactly(template);
                template.deleteUnlessInUse();
            }
        }
        // The next maker cleans up and completes; its template restores.
        GuestSnapshot made = VmTemplates.ensure(settings, new VmSize(1, 512), Accel.TCG);
        assertThat(VmTemplates.list(stateRoot)).containsExactly(made);
        assertThat(made.partialDir()).doesNotExist();
        VmConfig config = configFor(settings, "clone");
        try (QemuVm clone = QemuVm.restoring(config, false, made)) {
            clone.start(TIMEOUT);
            try (AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT)) {
                agent.ping(Duration.ofSeconds(10));
            }
            assertThat(made.deleteUnlessInUse())
                    .as("a template a running VM maps is not deleted")
                    .isFalse();
        }
        assertThat(made.deleteUnlessInUse()).isTrue();
        assertThat(VmTemplates.list(stateRoot)).isEmpty();
    }

    private VmConfig configFor(SandboxSettings settings, String name) throws Exception {
        Path dir = stateRoot.resolve(name);
        Files.createDirectories(dir);
        return new VmConfig(
                dir,
                settings.kernel(),
                settings.initrd(),
                settings.runtimeDisk(),
                Optional.empty(),
                1,
                512,
                3,
                Accel.TCG,
                "");
    }
}
