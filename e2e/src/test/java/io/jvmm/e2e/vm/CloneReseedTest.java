package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.qemu.DeviceSetup;
import io.jvmm.vmm.qemu.QemuVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the reseed at SetupGuest buys a clone (issue 25). Each clone of a template answers SetupGuest with a
 * machine id it draws from /dev/urandom right after the reseed. Clones of a template whose agent skips the
 * reseed ({@code jvmm.hostile=no-reseed}) draw the same id: the template read its CSPRNG just before it was
 * saved (as a real template's warm-up does), so the kernel has not reseeded on its own by then, and without
 * the agent's reseed every clone would read the same random stream. Clones of an ordinary
 * template draw distinct ids. The first assertion is what makes the second one a proof: were the reseed
 * removed from the agent, the ordinary clones would draw the same id too and this test would fail.
 */
class CloneReseedTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final int CLONES = 3;
    private final List<Path> dirs = new ArrayList<>();

    @AfterEach
    void removeFiles() {
        dirs.forEach(Leftovers::deleteTree);
    }

    @Test
    void withoutTheReseedClonesDrawTheSameBytesAndWithItTheirOwn() throws Exception {
        List<String> unreseeded = machineIdsOfClones("jvmm.hostile=no-reseed");
        List<String> reseeded = machineIdsOfClones("");
        System.out.println("machine ids of clones, reseed skipped: " + unreseeded + "; reseeded: " + reseeded);
        assertThat(unreseeded)
                .as("clones whose agent skipped the reseed")
                .hasSize(CLONES)
                .allMatch(id -> id.matches("[0-9a-f]{32}"))
                .containsOnly(unreseeded.getFirst());
        assertThat(reseeded)
                .as("clones reseeded at SetupGuest")
                .doesNotHaveDuplicates()
                .hasSize(CLONES);
    }

    /** Saves a template booted with {@code kernelArgs}, then restores it {@link #CLONES} times, one after another. */
    private List<String> machineIdsOfClones(String kernelArgs) throws Exception {
        Path where = Files.createTempDirectory(Path.of("/tmp"), "jvmm-reseed");
        dirs.add(where);
        GuestSnapshot template = new GuestSnapshot(where.resolve("template"));
        try (QemuVm vm = new QemuVm(config(kernelArgs), false, DeviceSetup.SNAPSHOTTABLE)) {
            vm.start(TIMEOUT);
            try (AgentClient agent = GuestConnector.connect(vm, TIMEOUT)) {
                agent.ping(Duration.ofSeconds(10));
                // As VmTemplates' warm-up does before it saves: the guest reads its CSPRNG (the machine id)
                // right before the save. The kernel reseeds on its own at a read once its key is older than
                // half its uptime (at most a minute): without this read, how long before the save its last
                // reseed came decided whether an unreseeded clone's first read reseeds anyway (this test
                // failed so in one CI run, its template saved after ping alone).
                agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "template", new byte[0]);
            }
            vm.saveSnapshot(template, TIMEOUT);
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < CLONES; i++) {
            VmConfig config = config(kernelArgs);
            try (QemuVm clone = QemuVm.restoring(config, false, template)) {
                clone.start(TIMEOUT);
                try (AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT)) {
                    byte[] entropy = new byte[64];
                    new SecureRandom().nextBytes(entropy);
                    ids.add(agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "clone-" + i, entropy));
                }
            }
        }
        return ids;
    }

    private VmConfig config(String kernelArgs) throws Exception {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "jvmm-reseed-vm");
        dirs.add(state);
        return new VmConfig(
                state,
                GuestImage.get().kernel(),
                GuestImage.get().initrd(),
                Optional.of(GuestImage.get().runtimeDisk()),
                Optional.empty(),
                1,
                256,
                3,
                Accel.TCG,
                kernelArgs);
    }
}
