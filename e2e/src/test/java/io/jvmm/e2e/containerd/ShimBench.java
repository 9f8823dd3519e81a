package io.jvmm.e2e.containerd;

import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.vm.BootBench;
import io.jvmm.e2e.vm.GuestImage;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shim benchmark, side by side in one run (scripts/bench-shim.sh): {@code ctr run --rm} of busybox
 * {@code true} with runc and with jvmm, a bare QEMU boot of the same guest, the {@code start} action of
 * each shim, and the jvmm shim's resident memory while it serves a running container.
 * {@code ShimBench <runs>}; prints one RESULT line with the ratios the targets are stated in.
 */
public final class ShimBench {
    private static final String RUNC = "io.containerd.runc.v2";

    private ShimBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        JvmmRuntime jvmm = JvmmRuntime.get();
        List<Double> bare = new ArrayList<>();
        List<Double> runc = new ArrayList<>();
        List<Double> vm = new ArrayList<>();
        List<Double> onShare = new ArrayList<>();
        List<Double> fromTemplate = new ArrayList<>();
        List<Double> firstTemplated = new ArrayList<>();
        List<Double> makeThenRestore = new ArrayList<>();
        List<Double> jvmmStart = new ArrayList<>();
        List<Double> runcStart = new ArrayList<>();
        List<Double> jvmmAnswer = new ArrayList<>();
        List<Double> runcAnswer = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        List<Double> rssNoVm = new ArrayList<>();
        List<Double> rssIdle = new ArrayList<>();
        List<Double> jvmmDeleteLive = new ArrayList<>();
        List<Double> jvmmDelete = new ArrayList<>();
        List<Double> runcDelete = new ArrayList<>();
        // The same shim with "metrics": false, side by side: what the metrics cost its start and memory.
        List<Double> startNoMetrics = new ArrayList<>();
        // jvmm's start through its JVM (options on stdin), beside the launcher's start without one.
        List<Double> jvmmJvmStart = new ArrayList<>();
        List<Double> jvmmJvmAnswer = new ArrayList<>();
        List<Double> answerNoMetrics = new ArrayList<>();
        List<Double> rssNoMetrics = new ArrayList<>();
        List<Double> rssNoVmNoMetrics = new ArrayList<>();
        List<Double> rssIdleNoMetrics = new ArrayList<>();
        StartRun counted;
        try (PrivateContainerd containerd = PrivateContainerd.start(List.of(jvmm.binDir()))) {
            ctrRun(containerd, RUNC, "warm-runc");
            // The same runtime with templates on: the template is made ahead, the timed runs restore it.
            Path templates = containerd.dir().resolve("jvmm-templates.json");
            Files.writeString(templates, jvmm.configWith(Map.of("templates", true)));
            jvmm.ensureTemplate(templates);
            ctrRun(containerd, JvmmRuntime.RUNTIME, "warm-template", templates);
            // The same runtime with the lone root over virtiofs (loneRootDisk off; the default gives a disk).
            Path share = containerd.dir().resolve("jvmm-share.json");
            Files.writeString(share, jvmm.configWith(Map.of("loneRootDisk", false)));
            Path noMetrics = containerd.dir().resolve("jvmm-no-metrics.json");
            Files.writeString(noMetrics, jvmm.configWith(Map.of("metrics", false)));
            // Untimed: the classes each JVM loads (-Xlog:class+load through the launcher's JVMM_JAVA_OPTS).
            counted = startAction(
                    containerd,
                    jvmm.shim(),
                    "sc",
                    Files.createDirectories(containerd.dir().resolve("class-logs")));
            for (int i = 0; i < runs; i++) {
                bare.add(BootBench.bareBoot(GuestImage.get()));
                runc.add(ctrRun(containerd, RUNC, "b-runc-" + i));
                vm.add(ctrRun(containerd, JvmmRuntime.RUNTIME, "b-jvmm-" + i));
                onShare.add(ctrRun(containerd, JvmmRuntime.RUNTIME, "b-share-" + i, share));
                fromTemplate.add(ctrRun(containerd, JvmmRuntime.RUNTIME, "b-tmpl-" + i, templates));
                // The first run of a configuration whose template is not there yet (kernel arguments of their
                // own make it another template): now a cold boot with the template made beside it; before
                // issue 25 the run made the template, then restored it, which the second figure times.
                Path fresh = containerd.dir().resolve("jvmm-first-" + i + ".json");
                Files.writeString(
                        fresh, jvmm.configWith(Map.of("templates", true, "kernelArgs", "jvmm.bench.first=" + i)));
                firstTemplated.add(ctrRun(containerd, JvmmRuntime.RUNTIME, "b-first-" + i, fresh));
                jvmm.awaitNoTemplateMakers(300);
                Path old = containerd.dir().resolve("jvmm-old-" + i + ".json");
                Files.writeString(old, jvmm.configWith(Map.of("templates", true, "kernelArgs", "jvmm.bench.old=" + i)));
                long made = System.nanoTime();
                jvmm.ensureTemplate(old);
                double makeSeconds = (System.nanoTime() - made) / 1e9;
                makeThenRestore.add(makeSeconds + ctrRun(containerd, JvmmRuntime.RUNTIME, "b-old-" + i, old));
                StartRun off = startAction(containerd, jvmm.shim(), "sn" + i, null, noMetrics, false);
                startNoMetrics.add(off.seconds());
                answerNoMetrics.add(off.answered());
                rssNoVmNoMetrics.add(off.rss());
                rssIdleNoMetrics.add(off.settled());
                StartRun viaJvm = startAction(containerd, jvmm.shim(), "sp" + i, null, null, true);
                jvmmJvmStart.add(viaJvm.seconds());
                jvmmJvmAnswer.add(viaJvm.answered());
                StartRun j = startAction(containerd, jvmm.shim(), "sj" + i, null);
                jvmmStart.add(j.seconds());
                jvmmAnswer.add(j.answered());
                rssNoVm.add(j.rss());
                rssIdle.add(j.settled());
                jvmmDeleteLive.add(j.deleteLive());
                jvmmDelete.add(j.deleteAfter());
                StartRun r = startAction(
                        containerd, PrivateContainerd.PREFIX.resolve("containerd-shim-runc-v2"), "sr" + i, null);
                runcStart.add(r.seconds());
                runcAnswer.add(r.answered());
                runcDelete.add(r.deleteAfter());
                rss.add(runningShimRss(containerd, "b-rss-" + i, null));
                rssNoMetrics.add(runningShimRss(containerd, "b-rss-nm-" + i, noMetrics));
            }
        }
        jvmm.deleteTemplates();
        double baseline = BootBench.median(bare) + BootBench.median(runc);
        double total = BootBench.median(vm) / baseline;
        System.out.printf(
                Locale.ROOT,
                "RESULT runs=%d runc_run_s=%.2f jvmm_run_s=%.2f bare_boot_s=%.2f total_ratio=%.2f"
                        + " jvmm_template_run_s=%.2f template_total_ratio=%.2f"
                        + " runc_start_s=%.3f jvmm_start_s=%.3f start_ratio=%.2f runc_first_answer_s=%.3f jvmm_first_answer_s=%.3f"
                        + " first_answer_ratio=%.2f shim_rss_mib=%.1f shim_rss_before_vm_mib=%.1f shim_rss_idle_mib=%.1f"
                        + " runc_delete_s=%.3f jvmm_delete_s=%.3f delete_ratio=%.2f jvmm_delete_live_server_s=%.3f"
                        + " start_classes=%d server_classes_at_first_answer=%d delete_classes=%d"
                        + " first_templated_run_s=%.2f first_vs_cold=%.2f make_then_restore_s=%.2f"
                        + " make_then_restore_vs_cold=%.2f jvmm_share_run_s=%.2f share_total_ratio=%.2f"
                        + " no_metrics_start_s=%.3f no_metrics_first_answer_s=%.3f no_metrics_rss_mib=%.1f"
                        + " no_metrics_rss_before_vm_mib=%.1f no_metrics_rss_idle_mib=%.1f"
                        + " jvmm_start_through_jvm_s=%.3f jvmm_first_answer_through_jvm_s=%.3f%n",
                runs,
                BootBench.median(runc),
                BootBench.median(vm),
                BootBench.median(bare),
                total,
                BootBench.median(fromTemplate),
                BootBench.median(fromTemplate) / baseline,
                BootBench.median(runcStart),
                BootBench.median(jvmmStart),
                BootBench.median(jvmmStart) / BootBench.median(runcStart),
                BootBench.median(runcAnswer),
                BootBench.median(jvmmAnswer),
                BootBench.median(jvmmAnswer) / BootBench.median(runcAnswer),
                BootBench.median(rss),
                BootBench.median(rssNoVm),
                BootBench.median(rssIdle),
                BootBench.median(runcDelete),
                BootBench.median(jvmmDelete),
                BootBench.median(jvmmDelete) / BootBench.median(runcDelete),
                BootBench.median(jvmmDeleteLive),
                counted.startClasses(),
                counted.serverClasses(),
                counted.deleteClasses(),
                BootBench.median(firstTemplated),
                BootBench.median(firstTemplated) / BootBench.median(vm),
                BootBench.median(makeThenRestore),
                BootBench.median(makeThenRestore) / BootBench.median(vm),
                BootBench.median(onShare),
                BootBench.median(onShare) / baseline,
                BootBench.median(startNoMetrics),
                BootBench.median(answerNoMetrics),
                BootBench.median(rssNoMetrics),
                BootBench.median(rssNoVmNoMetrics),
                BootBench.median(rssIdleNoMetrics),
                BootBench.median(jvmmJvmStart),
                BootBench.median(jvmmJvmAnswer));
        System.out.println("runc: " + runc + " jvmm: " + vm + " jvmm on the share: " + onShare
                + " jvmm from a template: " + fromTemplate + " bare: "
                + bare + " start runc: " + runcStart
                + " start jvmm: " + jvmmStart + " first answer runc: " + runcAnswer + " first answer jvmm: "
                + jvmmAnswer + " rss: " + rss
                + " rss before its VM: " + rssNoVm + " rss idle: " + rssIdle + " delete runc: " + runcDelete
                + " delete jvmm: " + jvmmDelete + " delete jvmm, its server alive: " + jvmmDeleteLive
                + " first templated run: " + firstTemplated + " make then restore: " + makeThenRestore
                + " metrics off: start " + startNoMetrics + " first answer " + answerNoMetrics + " rss " + rssNoMetrics
                + " rss before its VM " + rssNoVmNoMetrics + " rss idle " + rssIdleNoMetrics
                + " start through the JVM " + jvmmJvmStart + " its first answer " + jvmmJvmAnswer);
        System.exit(0);
    }

    private static double ctrRun(PrivateContainerd containerd, String runtime, String id) throws Exception {
        return ctrRun(containerd, runtime, id, null);
    }

    /** One timed {@code ctr run --rm ... true}, with the runtime's config file when one is given. */
    private static double ctrRun(PrivateContainerd containerd, String runtime, String id, Path config)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--snapshotter", "native", "--runtime", runtime));
        if (config != null) {
            args.addAll(List.of("--runtime-config-path", config.toString()));
        }
        args.addAll(List.of(PrivateContainerd.IMAGE, id, "true"));
        long t0 = System.nanoTime();
        PrivateContainerd.Result r = containerd.ctr(new byte[0], args.toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (r.exitCode() != 0) {
            throw new IllegalStateException(runtime + " run failed: " + r.stderr());
        }
        return seconds;
    }

    /**
     * One shim's start, timed; the first answer; the server's RSS; its delete action timed while the server
     * runs and after it exited; with {@code classLogs}, the classes each JVM loaded (-1 without).
     */
    private record StartRun(
            double seconds,
            double answered,
            double rss,
            double settled,
            double deleteLive,
            double deleteAfter,
            long startClasses,
            long serverClasses,
            long deleteClasses) {}

    /**
     * Times one shim's start action in a fresh bundle, and how long from the same instant until its server
     * answers a call (a Task v3 Connect for an unknown task: any status is an answer), which is what
     * containerd's first call after start waits for. Returns {start seconds, first-answer seconds, RSS of
     * the server in MiB 2 s after start and once settled, 10 s after start (-1 for runc's)}, then its
     * {@code delete} while the server runs (jvmm only) and after it exited. Settled means
     * after start-up's garbage went back: the JVM trims glibc's heap every 2 s (-XX:TrimNativeHeapInterval).
     */
    private static StartRun startAction(PrivateContainerd containerd, Path shim, String id, Path classLogs)
            throws Exception {
        return startAction(containerd, shim, id, classLogs, null, false);
    }

    /**
     * The same with the runtime's configuration {@code config} ($JVMM_CONFIG; null: the installed one); stdin
     * an (empty) pipe when {@code options}, as containerd gives a shim when the container has runtime options
     * (jvmm's launcher leaves that start to the JVM), else /dev/null, as for {@code ctr run}'s containers.
     */
    private static StartRun startAction(
            PrivateContainerd containerd, Path shim, String id, Path classLogs, Path config, boolean options)
            throws Exception {
        Path bundle = Files.createDirectories(
                containerd.dir().resolve("bench-bundles").resolve(id));
        Files.writeString(
                bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"]}}");
        drainLogFifo(bundle.resolve("log"));
        ProcessBuilder pb = new ProcessBuilder(shimCommand(containerd, shim, id, "start"))
                .directory(bundle.toFile())
                .redirectErrorStream(true);
        pb.environment().put("TTRPC_ADDRESS", containerd.socket() + ".ttrpc");
        if (config != null) {
            pb.environment().put("JVMM_CONFIG", config.toString());
        }
        if (classLogs != null) {
            // One file per JVM (%p: its pid); the server inherits the variable from start.
            pb.environment().put("JVMM_JAVA_OPTS", "-Xlog:class+load:file=" + classLogs + "/classes-%p.log");
        }
        if (!options) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (options) {
            p.getOutputStream().close();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(shim + " start failed: " + out);
        }
        Path socket = Path.of(out.replaceAll(".*unix://([^\"]*).*", "$1").strip());
        double answered = firstAnswer(socket, id, t0);
        double rss = -1;
        double settled = -1;
        double deleteLive = -1;
        long serverClasses = -1;
        // The jvmm server records its pid in the bundle; runc's 2.1 shim records nothing there.
        long pid = -1;
        if (Files.exists(awaitFile(bundle.resolve("shim.pid")))) {
            pid = Long.parseLong(Files.readString(bundle.resolve("shim.pid")).strip());
            serverClasses = classesIn(classLogs, pid);
            deleteLive = deleteAction(containerd, shim, bundle, id, null)[0];
            Thread.sleep(2000);
            rss = rssMib(pid);
            Thread.sleep(8000);
            settled = rssMib(pid);
        }
        // Both servers exit on Shutdown when they hold no task; jvmm's is also ended by pid should it not.
        ShimCommand.shutdown(socket, id, Duration.ofSeconds(30));
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join().isAlive()) {
                    h.destroy();
                    h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
                }
            });
        }
        for (int i = 0; i < 100 && Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        double[] deleted = deleteAction(containerd, shim, bundle, id, classLogs);
        Files.deleteIfExists(socket);
        Leftovers.deleteTree(bundle);
        return new StartRun(
                seconds,
                answered,
                rss,
                settled,
                deleteLive,
                deleted[0],
                classesIn(classLogs, p.pid()),
                serverClasses,
                (long) deleted[1]);
    }

    /**
     * One timed {@code delete} action on the bundle, as containerd runs it after the shim's connection closed;
     * returns {seconds, classes its JVM loaded (-1 without {@code classLogs})}.
     */
    private static double[] deleteAction(
            PrivateContainerd containerd, Path shim, Path bundle, String id, Path classLogs) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        shimCommand(containerd, shim, id, "-bundle", bundle.toString(), "delete"))
                .directory(bundle.toFile())
                .redirectErrorStream(true);
        if (classLogs != null) {
            pb.environment().put("JVMM_JAVA_OPTS", "-Xlog:class+load:file=" + classLogs + "/classes-%p.log");
        }
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(shim + " delete did not end within 60 s");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(shim + " delete failed with " + p.exitValue());
        }
        return new double[] {seconds, classesIn(classLogs, p.pid())};
    }

    /** A shim binary's command line as containerd builds it for task {@code id}, {@code tail} last. */
    private static List<String> shimCommand(PrivateContainerd containerd, Path shim, String id, String... tail) {
        return ShimCommand.of(
                shim,
                "bench",
                containerd.socket(),
                PrivateContainerd.PREFIX.resolve("containerd").toString(),
                id,
                tail);
    }

    /** Lines of the class-load log of JVM {@code pid} (one a class loaded), -1 when none was kept. */
    private static long classesIn(Path classLogs, long pid) throws IOException {
        if (classLogs == null) {
            return -1;
        }
        Path log = classLogs.resolve("classes-" + pid + ".log");
        if (!Files.exists(log)) {
            return 0; // a JVM run with -Xlog:class+load always writes its file: this process ran none
        }
        try (var lines = Files.lines(log)) {
            return lines.count();
        }
    }

    /**
     * The shim log fifo containerd makes in a bundle, with a reader as containerd has (runc's server exits
     * at once without one). The reader ends when the last writer, the server, is gone.
     */
    private static void drainLogFifo(Path fifo) throws Exception {
        if (new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor() != 0) {
            throw new IllegalStateException("mkfifo " + fifo + " failed");
        }
        Thread.ofPlatform()
                .daemon(true)
                .name("bench-log " + fifo.getParent().getFileName())
                .start(() -> {
                    try (var in = Files.newInputStream(fifo)) {
                        in.transferTo(OutputStream.nullOutputStream());
                    } catch (IOException e) {
                        // the bundle went away: nothing to drain
                    }
                });
    }

    /** Seconds from {@code t0} until the server on {@code socket} answers a Connect call. */
    private static double firstAnswer(Path socket, String id, long t0) throws Exception {
        ShimCommand.connect(socket, id, Duration.ofSeconds(60));
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * RSS of the jvmm shim serving one running container (its VM booted), after it settled; with the runtime's
     * configuration {@code config} when given.
     */
    private static double runningShimRss(PrivateContainerd containerd, String id, Path config) throws Exception {
        List<String> args =
                new ArrayList<>(List.of("run", "-d", "--snapshotter", "native", "--runtime", JvmmRuntime.RUNTIME));
        if (config != null) {
            args.addAll(List.of("--runtime-config-path", config.toString()));
        }
        args.addAll(List.of(PrivateContainerd.IMAGE, id, "sleep", "1000"));
        PrivateContainerd.Result r = containerd.ctr(null, args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("detached run failed: " + r.stderr());
        }
        Path pidFile = containerd
                .dir()
                .resolve("state/io.containerd.runtime.v2.task/default")
                .resolve(id)
                .resolve("shim.pid");
        long pid = Long.parseLong(Files.readString(awaitFile(pidFile)).strip());
        Thread.sleep(5000);
        double rss = rssMib(pid);
        containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
        containerd.ctr(null, "task", "delete", id);
        containerd.ctr(null, "containers", "delete", id);
        return rss;
    }

    private static Path awaitFile(Path file) throws InterruptedException {
        for (int i = 0; i < 200 && !Files.exists(file); i++) {
            Thread.sleep(10);
        }
        return file;
    }

    private static double rssMib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return -1;
    }
}
