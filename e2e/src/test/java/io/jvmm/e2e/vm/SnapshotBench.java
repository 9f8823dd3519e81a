package io.jvmm.e2e.vm;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Template start against cold boot, side by side in one run (scripts/bench-snapshot.sh): cold boot to
 * agent-ready and that VM's host memory (PSS); then the same guest saved, and clones restored from it one
 * after another to agent-ready (SetupGuest answered), all kept running, with the mean PSS per clone once
 * they all run. {@code SnapshotBench <clones>}.
 */
public final class SnapshotBench {
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final int MEMORY_MIB = 768;

    private SnapshotBench() {}

    public static void main(String[] args) throws Exception {
        int clones = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path root = Files.createTempDirectory(Path.of("/tmp"), "jvmm-sb");
        List<QemuVm> running = new ArrayList<>();
        try {
            QemuVm cold = new QemuVm(config(root, "cold"), false, DeviceSetup.SNAPSHOTTABLE);
            running.add(cold);
            long begin = System.nanoTime();
            cold.start(TIMEOUT);
            double coldSeconds;
            try (AgentClient agent = GuestConnector.connect(cold, TIMEOUT)) {
                agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "cold", new byte[32]);
                coldSeconds = (System.nanoTime() - begin) / 1e9;
            }
            long coldPss = cold.hostMemoryPssBytes();
            GuestSnapshot snapshot = new GuestSnapshot(root.resolve("template"));
            cold.saveSnapshot(snapshot, TIMEOUT);
            cold.close();
            running.remove(cold);

            List<Double> restoreSeconds = new ArrayList<>();
            for (int i = 0; i < clones; i++) {
                VmConfig config = config(root, "clone" + i);
                QemuVm clone = QemuVm.restoring(config, false, snapshot);
                running.add(clone);
                long start = System.nanoTime();
                clone.start(TIMEOUT);
                try (AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT)) {
                    agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "clone" + i, new byte[32]);
                }
                restoreSeconds.add((System.nanoTime() - start) / 1e9);
            }
            long clonePss =
                    running.stream().mapToLong(QemuVm::hostMemoryPssBytes).sum() / clones;
            double meanRestore = restoreSeconds.stream()
                    .mapToDouble(Double::doubleValue)
                    .average()
                    .orElse(0);
            System.out.println("cold boot to agent-ready: " + String.format(Locale.ROOT, "%.2f s", coldSeconds)
                    + ", PSS " + (coldPss >> 20) + " MiB");
            System.out.println("restore from template to agent-ready: "
                    + restoreSeconds.stream()
                            .map(s -> String.format(Locale.ROOT, "%.2f", s))
                            .toList() + " s, mean PSS per clone with "
                    + clones + " running: " + (clonePss >> 20) + " MiB");
            System.out.println(String.format(
                    Locale.ROOT,
                    "RESULT template start %.2fx of cold boot (target <= 0.2x); memory per sandbox %.2fx of cold (target <= 0.3x)",
                    meanRestore / coldSeconds,
                    (double) clonePss / coldPss));
        } finally {
            running.forEach(QemuVm::close);
            Leftovers.deleteTree(root);
        }
    }

    private static VmConfig config(Path root, String name) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name));
        GuestImage image = GuestImage.get();
        return new VmConfig(
                dir,
                image.kernel(),
                image.initrd(),
                Optional.of(image.runtimeDisk()),
                Optional.empty(),
                1,
                MEMORY_MIB,
                3,
                Accel.TCG,
                "");
    }
}
