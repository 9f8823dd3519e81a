package io.jvmm.e2e.cri;

import io.jvmm.api.cri.v1.ExecSyncResponse;
import io.jvmm.e2e.containerd.JvmmRuntime;
import io.jvmm.e2e.containerd.PrivateContainerd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many idle pods fit on this machine (scripts/bench-density.sh): pods of one busybox container each,
 * through containerd's CRI, restored from one template, started one after another until {@code max} or
 * until the host's available memory would drop below {@link #RESERVE_MIB}; then each must answer an exec.
 * Beside it, three pods booted cold give the cold cost per pod, and the counts that cost and Kata's
 * published pod overheads would allow in the same memory. Every pod is removed at the end. Prints one
 * RESULT line.
 */
public final class DensityBench {
    /** Memory left to the host: no pod is started below it. */
    static final long RESERVE_MIB = 2048;
    /** Kata's published pod overheads (MiB): Cloud Hypervisor or Firecracker, and QEMU. */
    static final long KATA_LIGHT_MIB = 130;

    static final long KATA_QEMU_MIB = 320;
    private static final int COLD_PODS = 3;

    private DensityBench() {}

    public static void main(String[] args) throws Exception {
        int max = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        JvmmRuntime jvmm = JvmmRuntime.get();
        Path config = Files.createTempFile(Path.of("/tmp"), "jvmm-density", ".json");
        Files.writeString(
                config,
                jvmm.configWith(Map.of(
                        "vcpus", 1, "memoryMib", 512, "templates", true, "enableAnnotations", List.of("templates"))));
        jvmm.ensureTemplate(config);
        try (PrivateContainerd containerd = PrivateContainerd.startWithCri(List.of(jvmm.binDir()), config);
                CriClient cri = CriClient.connect(containerd, Duration.ofSeconds(400))) {
            PodChurn pods = new PodChurn(cri, containerd.dir());
            long before = availableMib();
            double coldMib = coldPodMib(pods, containerd);
            List<PodChurn.Pod> started = new ArrayList<>();
            long begin = System.nanoTime();
            try {
                long start = availableMib();
                while (started.size() < max) {
                    long available = availableMib();
                    long perPod = started.isEmpty() ? 0 : (start - available) / started.size();
                    if (available - perPod < RESERVE_MIB) {
                        break;
                    }
                    pods.start("jvmm-podsandbox", "dense-" + started.size(), started);
                    if (started.size() % 10 == 0) {
                        System.out.printf(
                                Locale.ROOT,
                                "%d pods after %.0f s, %d MiB available%n",
                                started.size(),
                                (System.nanoTime() - begin) / 1e9,
                                availableMib());
                    }
                }
                double startSeconds = (System.nanoTime() - begin) / 1e9;
                Thread.sleep(10_000);
                double templatedMib = (double) (start - availableMib()) / started.size();
                int answered = 0;
                long execBegin = System.nanoTime();
                for (PodChurn.Pod pod : started) {
                    ExecSyncResponse r = cri.execSync(pod.container(), 120, "echo", pod.name());
                    if (r.getExitCode() == 0
                            && r.getStdout().toStringUtf8().strip().equals(pod.name())) {
                        answered++;
                    }
                }
                System.out.printf(
                        Locale.ROOT,
                        "RESULT pods=%d answered=%d start_s=%.0f exec_all_s=%.0f available_mib=%d"
                                + " templated_pod_mib=%.0f cold_pod_mib=%.0f cold_would_fit=%d"
                                + " kata_light_would_fit=%d kata_qemu_would_fit=%d%n",
                        started.size(),
                        answered,
                        startSeconds,
                        (System.nanoTime() - execBegin) / 1e9,
                        before,
                        templatedMib,
                        coldMib,
                        (long) ((before - RESERVE_MIB) / coldMib),
                        (before - RESERVE_MIB) / KATA_LIGHT_MIB,
                        (before - RESERVE_MIB) / KATA_QEMU_MIB);
            } finally {
                for (PodChurn.Pod pod : started) {
                    try {
                        pods.remove(pod);
                    } catch (RuntimeException e) {
                        System.err.println("removing " + pod.id() + ": " + e.getMessage());
                    }
                }
            }
        } finally {
            Files.deleteIfExists(config);
        }
    }

    /** Host memory each of {@link #COLD_PODS} pods booted cold takes (the drop in available memory), in MiB. */
    private static double coldPodMib(PodChurn pods, PrivateContainerd containerd) throws Exception {
        List<PodChurn.Pod> cold = new ArrayList<>();
        long start = availableMib();
        try {
            for (int i = 0; i < COLD_PODS; i++) {
                pods.startAnnotated("jvmm-podsandbox", "cold-" + i, Map.of("jvmm.io/templates", "false"), cold);
            }
            Thread.sleep(10_000);
            return (double) (start - availableMib()) / COLD_PODS;
        } finally {
            for (PodChurn.Pod pod : cold) {
                pods.remove(pod);
            }
        }
    }

    /** MemAvailable of /proc/meminfo, in MiB. */
    static long availableMib() throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                        .filter(l -> l.startsWith("MemAvailable:"))
                        .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                        .findFirst()
                        .orElseThrow()
                / 1024;
    }
}
