package io.jvmm.e2e.cri;

import io.jvmm.e2e.containerd.JvmmRuntime;
import io.jvmm.e2e.containerd.PrivateContainerd;
import io.jvmm.e2e.vm.BootBench;
import io.jvmm.vmm.HostTools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a jvmm pod costs its node beside its containers, for the RuntimeClass's {@code overhead.podFixed}
 * (scripts/runtimeclass-overhead.sh): pods of handler {@code jvmm} (shim sandboxer, the installed
 * configuration's VM size) with one idle container ({@code sleep}), one at a time through a private
 * containerd's CRI; 10 s after the container started, the PSS of the pod's shim and VM processes, and
 * their CPU use over the next {@link #WINDOW} (an idle guest's timer and the shim's housekeeping). Prints a
 * RESULT line and the RuntimeClass with the medians rounded up (memory to 10 MiB, CPU to 10 millicores).
 */
public final class OverheadProbe {
    static final Duration WINDOW = Duration.ofSeconds(20);

    private OverheadProbe() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        JvmmRuntime jvmm = JvmmRuntime.get();
        List<Double> memoryMib = new ArrayList<>();
        List<Double> millicores = new ArrayList<>();
        try (PrivateContainerd containerd = PrivateContainerd.startWithCri(List.of(jvmm.binDir()), jvmm.config());
                CriClient cri = CriClient.connect(containerd, Duration.ofSeconds(400))) {
            PodChurn pods = new PodChurn(cri, containerd.dir());
            for (int i = 0; i < runs; i++) {
                PodChurn.Pod pod = pods.start("jvmm", "overhead-" + i, new ArrayList<>());
                try {
                    Thread.sleep(10_000);
                    memoryMib.add(PodBench.podHostMib(jvmm, containerd));
                    long before = cpuMicros(jvmm, containerd);
                    long begin = System.nanoTime();
                    Thread.sleep(WINDOW.toMillis());
                    long used = cpuMicros(jvmm, containerd) - before;
                    millicores.add(used / 1000.0 / ((System.nanoTime() - begin) / 1e9));
                } finally {
                    pods.remove(pod);
                }
            }
        }
        double memory = BootBench.median(memoryMib);
        double cpu = BootBench.median(millicores);
        long memoryRounded = (long) Math.ceil(memory / 10) * 10;
        long cpuRounded = (long) Math.ceil(cpu / 10) * 10;
        System.out.printf(
                Locale.ROOT,
                "RESULT runs=%d pod_host_pss_mib=%.1f pod_idle_millicores=%.1f podfixed_memory=%dMi podfixed_cpu=%dm%n",
                runs,
                memory,
                cpu,
                memoryRounded,
                cpuRounded);
        System.out.println("pss MiB: " + memoryMib + " idle millicores: " + millicores);
        System.out.printf(
                Locale.ROOT,
                "overhead:%n  podFixed:%n    memory: \"%dMi\"%n    cpu: \"%dm\"%n",
                memoryRounded,
                cpuRounded);
        System.exit(0);
    }

    /** CPU time (user + system) of the jvmm shims and VM processes of this test's containerd, in microseconds. */
    private static long cpuMicros(JvmmRuntime jvmm, PrivateContainerd containerd) {
        long total = 0;
        for (ProcessHandle p : PodBench.podProcesses(jvmm, containerd)) {
            long[] micros = HostTools.cpuMicros(p.pid());
            total += micros[0] + micros[1];
        }
        return total;
    }
}
