package io.jvmm.e2e.cri;

import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.containerd.JvmmRuntime;
import io.jvmm.e2e.containerd.PrivateContainerd;
import io.jvmm.e2e.vm.BootBench;
import io.jvmm.e2e.vm.GuestImage;
import io.jvmm.vmm.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pod start, side by side in one run (scripts/bench-pod.sh): through containerd's CRI, RunPodSandbox
 * plus one container created and started, with the runc handler and with jvmm's (shim sandboxer, TCG
 * here), and a bare QEMU boot of the same guest. For jvmm also the host memory the pod costs beside its
 * containers: the PSS of its shim and its VM's processes (QEMU, virtiofsd, vhost-device-vsock) with one
 * idle container — the figure behind the RuntimeClass overhead — and, for pods from a template, the same
 * per pod with {@link #SHARING} of them running at once (they share the template's memory, which one pod
 * alone would count whole). Prints one RESULT line.
 */
public final class PodBench {
    /** Templated pods running at once for the memory figure. */
    static final int SHARING = 10;

    private PodBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        JvmmRuntime jvmm = JvmmRuntime.get();
        List<Double> runc = new ArrayList<>();
        List<Double> vm = new ArrayList<>();
        List<Double> restored = new ArrayList<>();
        List<Double> restoredOverhead = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        List<Double> overhead = new ArrayList<>();
        double sharedMib;
        // jvmm-podsandbox (the pause-container model) names a copy of the configuration with templates on.
        Path templatesConfig = Files.createTempFile(Path.of("/tmp"), "jvmm-bench-config", ".json");
        Files.writeString(templatesConfig, jvmm.configWith(Map.of("templates", true)));
        try (PrivateContainerd containerd = PrivateContainerd.startWithCri(List.of(jvmm.binDir()), templatesConfig);
                CriClient cri = CriClient.connect(containerd, Duration.ofSeconds(400))) {
            // Warm-up: the first templated pod boots cold while its template is made beside it, as the first pod
            // of a node would; the timed ones restore it.
            podStart(cri, containerd, "jvmm-podsandbox", -1, null);
            jvmm.awaitNoTemplateMakers(300);
            for (int i = 0; i < runs; i++) {
                runc.add(podStart(cri, containerd, "runc", i, null));
                double[] mib = new double[1];
                vm.add(podStart(cri, containerd, "jvmm", i, () -> mib[0] = podHostMib(jvmm, containerd)));
                overhead.add(mib[0]);
                restored.add(
                        podStart(cri, containerd, "jvmm-podsandbox", i, () -> mib[0] = podHostMib(jvmm, containerd)));
                restoredOverhead.add(mib[0]);
                bare.add(BootBench.bareBoot(GuestImage.get()));
            }
            sharedMib = sharedPodMib(cri, containerd, jvmm);
        } finally {
            Files.deleteIfExists(templatesConfig);
        }
        double base = BootBench.median(bare) + BootBench.median(runc);
        System.out.printf(
                Locale.ROOT,
                "RESULT runs=%d runc_pod_s=%.2f jvmm_pod_s=%.2f jvmm_template_pod_s=%.2f bare_boot_s=%.2f"
                        + " pod_ratio=%.2f template_pod_ratio=%.2f jvmm_pod_host_mib=%.1f template_pod_host_mib=%.1f"
                        + " template_pod_host_mib_%d_at_once=%.1f template_pod_pss_ratio=%.2f%n",
                runs,
                BootBench.median(runc),
                BootBench.median(vm),
                BootBench.median(restored),
                BootBench.median(bare),
                BootBench.median(vm) / base,
                BootBench.median(restored) / base,
                BootBench.median(overhead),
                BootBench.median(restoredOverhead),
                SHARING,
                sharedMib,
                sharedMib / BootBench.median(overhead));
        System.out.println("runc: " + runc + " jvmm: " + vm + " jvmm from template: " + restored + " bare: " + bare
                + " host MiB: " + overhead + " / " + restoredOverhead);
    }

    /** Seconds from RunPodSandbox to its first container started; then measures (if asked) and removes the pod. */
    private static double podStart(
            CriClient cri, PrivateContainerd containerd, String handler, int run, Runnable measure) throws Exception {
        PodChurn pods = new PodChurn(cri, containerd.dir());
        String name = "bench-" + handler + "-" + (run < 0 ? "warmup" : Integer.toString(run));
        long begin = System.nanoTime();
        PodChurn.Pod pod = pods.start(handler, name, new ArrayList<>());
        double seconds = (System.nanoTime() - begin) / 1e9;
        if (run == 0 && handler.equals("jvmm-podsandbox")) {
            // Where a templated pod's start goes: the shim's timed log lines (restore, disks, guest creates).
            for (String line : containerd.logLinesContaining(" ms")) {
                if (line.contains("runtime=io.containerd.jvmm")
                        && (line.contains("plugged")
                                || line.contains("created in the guest")
                                || line.contains("restored"))) {
                    System.out.println("timeline: " + line.replaceAll(".*msg=", ""));
                }
            }
        }
        if (measure != null) {
            Thread.sleep(5000);
            measure.run();
        }
        pods.remove(pod);
        return seconds;
    }

    /** Mean host PSS per pod with {@link #SHARING} templated pods running at once, 5 s after the last started. */
    private static double sharedPodMib(CriClient cri, PrivateContainerd containerd, JvmmRuntime jvmm) throws Exception {
        PodChurn pods = new PodChurn(cri, containerd.dir());
        List<PodChurn.Pod> started = new ArrayList<>();
        try {
            for (int i = 0; i < SHARING; i++) {
                pods.start("jvmm-podsandbox", "bench-shared-" + i, started);
            }
            Thread.sleep(5000);
            return podHostMib(jvmm, containerd) / SHARING;
        } finally {
            for (PodChurn.Pod pod : started) {
                pods.remove(pod);
            }
        }
    }

    /**
     * Proportional set size (PSS) of the jvmm shim and of the VM's processes, in MiB: the guest's memory is a
     * memfd that QEMU, virtiofsd and vhost-device-vsock all map, so summing their RSS would count it up to
     * three times.
     */
    static double podHostMib(JvmmRuntime jvmm, PrivateContainerd containerd) {
        long bytes = 0;
        for (ProcessHandle p : podProcesses(jvmm, containerd)) {
            bytes += HostTools.pssBytes(p.pid());
        }
        return bytes / (1024.0 * 1024);
    }

    /** The jvmm shims of {@code containerd} and the VM processes (QEMU and helpers) under jvmm's state root. */
    static List<ProcessHandle> podProcesses(JvmmRuntime jvmm, PrivateContainerd containerd) {
        List<ProcessHandle> processes =
                new ArrayList<>(Leftovers.processesMentioning(jvmm.stateRoot().toString()));
        for (ProcessHandle p : Leftovers.processesMentioning(containerd.socket().toString())) {
            if (p.info().commandLine().orElse("").contains("jvmm")) {
                processes.add(p);
            }
        }
        return processes;
    }
}
