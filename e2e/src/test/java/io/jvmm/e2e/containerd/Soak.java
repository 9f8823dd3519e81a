package io.jvmm.e2e.containerd;

import io.jvmm.e2e.cri.CriClient;
import io.jvmm.e2e.cri.PodChurn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The soak (scripts/soak.sh, and a short one in the suite): containers run through a private containerd,
 * {@code serial} in a row and {@code batches} times {@code batchSize} at once, all {@code ctr run --rm}
 * of busybox {@code true} with jvmm (templates on, the way a fleet runs many); {@code runcRuns} in a row
 * with runc beside them for the throughput; then {@code execs} execs in one long-lived jvmm container.
 * containerd's open descriptors and memory are sampled along the way, the jvmm shim's along the execs, and
 * a {@link Census} taken at the end. With {@code pods}, that many Kubernetes pods through containerd's CRI
 * (alternately with the shim sandboxer, handler {@code jvmm}, and the pause-container model from templates,
 * {@code jvmm-podsandbox}), each a container started and an exec answered in it, then stopped and removed;
 * runc pods beside them; and a census of the CRI namespace.
 * {@code Soak [serial] [batches] [batchSize] [runcRuns] [execs] [pods]}.
 */
public final class Soak {
    static final String NAMESPACE = "default";
    private static final int SAMPLES = 10;

    /** What a soak saw: failures (first few messages), samples over time, and the census at the end. */
    /** containerd's words when a shim's Shutdown missed its 3 s, and when the shim binary's delete failed (or was killed at 5 s). */
    static final String SHUTDOWN_LATE = "failed to shutdown shim task";

    static final String DELETE_FAILED = "failed to clean up after shim disconnected";

    record Report(
            int runs,
            List<String> failures,
            double jvmmPerMinute,
            double batchPerMinute,
            double runcPerMinute,
            double podsPerMinute,
            double runcPodsPerMinute,
            List<Census.Usage> containerd,
            List<Census.Usage> shim,
            List<String> leftovers,
            long shutdownsLate,
            long deletesFailed) {
        void print() {
            System.out.printf(
                    Locale.ROOT,
                    "RESULT runs=%d failures=%d jvmm_serial_per_min=%.1f jvmm_batched_per_min=%.1f runc_per_min=%.1f"
                            + " jvmm_pods_per_min=%.1f runc_pods_per_min=%.1f containerd_fds=%s containerd_rss_mib=%s shim_fds=%s shim_rss_mib=%s leftovers=%d"
                            + " containerd_shutdown_late=%d containerd_delete_failed=%d%n",
                    runs,
                    failures.size(),
                    jvmmPerMinute,
                    batchPerMinute,
                    runcPerMinute,
                    podsPerMinute,
                    runcPodsPerMinute,
                    firstLast(containerd, true),
                    firstLast(containerd, false),
                    firstLast(shim, true),
                    firstLast(shim, false),
                    leftovers.size(),
                    shutdownsLate,
                    deletesFailed);
            System.out.println("containerd over the run: " + containerd);
            System.out.println("the shim over the execs: " + shim);
            failures.stream().limit(5).forEach(f -> System.out.println("failure: " + f));
            leftovers.forEach(l -> System.out.println("left: " + l));
        }

        private static String firstLast(List<Census.Usage> samples, boolean fds) {
            if (samples.isEmpty()) {
                return "none";
            }
            Census.Usage first = samples.getFirst();
            Census.Usage last = samples.getLast();
            return fds ? first.fds() + "->" + last.fds() : first.rssKib() / 1024 + "->" + last.rssKib() / 1024;
        }
    }

    private final PrivateContainerd containerd;
    private final JvmmRuntime jvmm;
    private final Path config;
    private final List<String> ids = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final List<Census.Usage> containerdUsage = new ArrayList<>();
    private final List<Census.Usage> shimUsage = new ArrayList<>();

    private Soak(PrivateContainerd containerd, JvmmRuntime jvmm, Path config) {
        this.containerd = containerd;
        this.jvmm = jvmm;
        this.config = config;
    }

    public static void main(String[] args) throws Exception {
        int[] n = {200, 10, 10, 50, 200, 20};
        for (int i = 0; i < Math.min(args.length, n.length); i++) {
            n[i] = Integer.parseInt(args[i]);
        }
        JvmmRuntime jvmm = JvmmRuntime.get();
        Report report;
        // The pods' jvmm-podsandbox handler names this configuration through CRI's runtime options.
        Path config = Files.createTempFile(Path.of("/tmp"), "jvmm-soak", ".json");
        Files.writeString(config, jvmm.configWith(Map.of("templates", true)));
        try (PrivateContainerd containerd = PrivateContainerd.startWithCri(List.of(jvmm.binDir()), config)) {
            report = run(containerd, jvmm, n[0], n[1], n[2], n[3], n[4], n[5]);
        } finally {
            Files.deleteIfExists(config);
        }
        jvmm.deleteTemplates();
        report.print();
        System.exit(report.failures().isEmpty() && report.leftovers().isEmpty() ? 0 : 1);
    }

    static Report run(
            PrivateContainerd containerd,
            JvmmRuntime jvmm,
            int serial,
            int batches,
            int batchSize,
            int runcRuns,
            int execs,
            int pods)
            throws Exception {
        Path config = containerd.dir().resolve("jvmm-soak.json");
        Files.writeString(config, jvmm.configWith(Map.of("templates", true)));
        Soak soak = new Soak(containerd, jvmm, config);
        Census census = Census.from(containerd, jvmm, NAMESPACE);
        // Warm-up: the template is made (ahead, as an operator would: the pods' configuration, with the same
        // contents, has the same template), containerd's caches fill; the samples start after it.
        jvmm.ensureTemplate(config);
        soak.run(JvmmRuntime.RUNTIME, "soak-warm");
        soak.run(PrivateContainerd.RUNC_RUNTIME, "soak-warm-runc");
        soak.sampleContainerd();
        double serialPerMinute = soak.serial(JvmmRuntime.RUNTIME, "soak-s-", serial);
        double batchPerMinute = soak.batched(batches, batchSize);
        double runcPerMinute = soak.serial(PrivateContainerd.RUNC_RUNTIME, "soak-runc-", runcRuns);
        soak.execs(execs);
        soak.sampleContainerd();
        List<String> left = new ArrayList<>(census.settled(soak.ids));
        double[] podsPerMinute = {0, 0};
        if (pods > 0) {
            left.addAll(soak.pods(pods, podsPerMinute));
        }
        if (!left.isEmpty()) {
            // For the report: what the shims said about their VMs' cgroups and helpers.
            Files.readAllLines(containerd.dir().resolve("containerd.log")).stream()
                    .filter(l -> l.contains("cgroup") || l.contains("exited with") || l.contains("still busy"))
                    .forEach(l -> System.out.println("log: " + l));
        }
        int runs = 2
                + serial
                + batches * batchSize
                + runcRuns
                + (execs > 0 ? 1 : 0)
                + (pods > 0 ? pods + runcPods(pods) : 0);
        return new Report(
                runs,
                soak.failures,
                serialPerMinute,
                batchPerMinute,
                runcPerMinute,
                podsPerMinute[0],
                podsPerMinute[1],
                soak.containerdUsage,
                soak.shimUsage,
                left,
                containerd.logLinesContaining(SHUTDOWN_LATE).size(),
                containerd.logLinesContaining(DELETE_FAILED).size());
    }

    /**
     * {@code count} pods through CRI in a row, alternately with the shim sandboxer and the pause-container
     * model, then runc pods; their rates into {@code perMinute}; answers what they left (the CRI namespace's
     * census and containerd's sandbox store).
     */
    private List<String> pods(int count, double[] perMinute) throws Exception {
        Census census = Census.from(containerd, jvmm, CriNetwork.NAMESPACE);
        List<String> podIds = new ArrayList<>();
        try (CriClient cri = CriClient.connect(containerd, Duration.ofSeconds(400))) {
            PodChurn churn = new PodChurn(cri, containerd.dir());
            // The first templated pod makes the template, as a node's first pod would.
            PodChurn.Outcome warm = churn.live("jvmm-podsandbox", "soak-pod-warm");
            podIds.addAll(warm.ids());
            if (warm.failure() != null) {
                failed("jvmm-podsandbox pod " + warm.failure());
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                String handler = i % 2 == 0 ? "jvmm" : "jvmm-podsandbox";
                PodChurn.Outcome o = churn.live(handler, "soak-pod-" + i);
                podIds.addAll(o.ids());
                if (o.failure() != null) {
                    failed(handler + " pod " + o.failure());
                }
                if ((i + 1) % Math.max(1, count / SAMPLES) == 0) {
                    sampleContainerd();
                }
            }
            perMinute[0] = perMinute(count, t0);
            t0 = System.nanoTime();
            for (int i = 0; i < runcPods(count); i++) {
                PodChurn.Outcome o = churn.live("runc", "soak-runc-pod-" + i);
                podIds.addAll(o.ids());
                if (o.failure() != null) {
                    failed("runc pod " + o.failure());
                }
            }
            perMinute[1] = perMinute(runcPods(count), t0);
        }
        List<String> left = new ArrayList<>(census.settled(podIds));
        containerd
                .ctr(null, "-n", CriNetwork.NAMESPACE, "sandboxes", "ls")
                .stdout()
                .lines()
                .skip(1)
                .filter(l -> !l.isBlank())
                .forEach(l -> left.add("sandbox " + l.strip()));
        return left;
    }

    private static int runcPods(int pods) {
        return Math.min(pods, 20);
    }

    private double serial(String runtime, String prefix, int count) throws Exception {
        long t0 = System.nanoTime();
        int every = Math.max(1, count / SAMPLES);
        for (int i = 0; i < count; i++) {
            run(runtime, prefix + i);
            if ((i + 1) % every == 0) {
                sampleContainerd();
            }
        }
        return perMinute(count, t0);
    }

    private double batched(int batches, int batchSize) throws Exception {
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, batchSize))) {
            for (int b = 0; b < batches; b++) {
                List<Future<?>> runs = new ArrayList<>();
                for (int i = 0; i < batchSize; i++) {
                    String id = "soak-b" + b + "-" + i;
                    runs.add(pool.submit(() -> {
                        run(JvmmRuntime.RUNTIME, id);
                        return null;
                    }));
                }
                for (Future<?> f : runs) {
                    f.get();
                }
                sampleContainerd();
            }
        }
        return perMinute(batches * batchSize, t0);
    }

    /** One long-lived jvmm container, {@code count} execs of {@code true} in it; the shim sampled as they go. */
    private void execs(int count) throws Exception {
        if (count == 0) {
            return;
        }
        String id = "soak-exec";
        record(id);
        ctr(CtrArgs.array(CtrArgs.run(true, JvmmRuntime.RUNTIME, config, List.of(), id, "sleep", "100000")));
        try {
            containerd.awaitTask(id, "RUNNING", 300);
            Path pidFile = containerd.bundle(NAMESPACE, id).resolve("shim.pid");
            long shim = Long.parseLong(Files.readString(pidFile).strip());
            shimUsage.add(Census.Usage.of(shim));
            int every = Math.max(1, count / SAMPLES);
            for (int i = 0; i < count; i++) {
                ctr("task", "exec", "--exec-id", "e" + i, id, "true");
                if ((i + 1) % every == 0) {
                    shimUsage.add(Census.Usage.of(shim));
                }
            }
        } finally {
            ctr("task", "kill", "-s", "SIGKILL", id);
            containerd.awaitTask(id, "STOPPED", 60);
            ctr("task", "delete", id);
            ctr("containers", "delete", id);
        }
    }

    private void run(String runtime, String id) throws IOException, InterruptedException {
        record(id);
        Path withConfig = runtime.equals(JvmmRuntime.RUNTIME) ? config : null;
        ctr(CtrArgs.array(CtrArgs.run(false, runtime, withConfig, List.of(), id, "true")));
    }

    private void ctr(String... args) throws IOException, InterruptedException {
        PrivateContainerd.Result r;
        try {
            r = containerd.ctr(new byte[0], args);
        } catch (IOException e) {
            failed(String.join(" ", args) + ": " + e.getMessage());
            return;
        }
        if (r.exitCode() != 0) {
            failed(String.join(" ", args) + ": exit " + r.exitCode() + ": "
                    + r.stderr().strip());
        }
    }

    private synchronized void record(String id) {
        ids.add(id);
    }

    private synchronized void failed(String what) {
        failures.add(what);
    }

    private void sampleContainerd() throws IOException {
        Census.Usage now = Census.Usage.of(containerd.process().pid());
        containerdUsage.add(now);
        System.out.printf(Locale.ROOT, "soak: %d runs, %d failed, containerd %s%n", ids.size(), failures.size(), now);
    }

    private static double perMinute(int count, long t0) {
        double minutes = (System.nanoTime() - t0) / 60e9;
        return count == 0 ? 0 : count / minutes;
    }
}
