package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.VmmConfinement;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Containers in VMs restored from a template, through real containerd: {@code ctr run} with a runtime
 * configuration (ctr's --runtime-config-path, containerd's runtime options) that turns templates on. The
 * first run boots cold while its template is made beside it, every run after restores it; each container
 * reads its own randomness.
 */
@WithPrivateContainerd(deletesTemplates = true)
class TemplateTest {
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private static Path config;

    @BeforeAll
    static void start() throws Exception {
        config = containerd.dir().resolve("jvmm-templates.json");
        Files.writeString(config, jvmm.configWith(Map.of("templates", true)));
    }

    private static final String BOOTS_COLD = "boots cold while the template is made beside it";
    private static final String RESTORED = "restored from a template";

    @Test
    void containersRestoredFromOneTemplateEachDrawTheirOwnRandomness() throws Exception {
        Set<String> random = new HashSet<>();
        // The other test of this class restores VMs too (of another size): count from here.
        int coldBefore = containerd.logLinesContaining(BOOTS_COLD).size();
        int restoredBefore = containerd.logLinesContaining(RESTORED).size();
        for (int i = 0; i < 3; i++) {
            if (i == 1) {
                // The first run found no template: it booted cold, as a run without templates does, and
                // started the template's maker beside it; the runs after it restore.
                assertThat(containerd.logLinesContaining(BOOTS_COLD))
                        .as("the first run's shim log")
                        .hasSize(coldBefore + 1);
                assertThat(containerd.logLinesContaining(RESTORED)).hasSize(restoredBefore);
                awaitTemplate(1024);
            }
            PrivateContainerd.Result run = containerd.ctr(
                    null,
                    "run",
                    "--rm",
                    "--snapshotter",
                    "native",
                    "--runtime",
                    JvmmRuntime.RUNTIME,
                    "--runtime-config-path",
                    config.toString(),
                    PrivateContainerd.IMAGE,
                    "tpl-" + i,
                    "sh",
                    "-c",
                    "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'");
            assertThat(run.exitCode()).as(run.stderr()).isZero();
            assertThat(run.stdout()).matches("[0-9a-f]{32}");
            random.add(run.stdout());
        }
        assertThat(random).as("16 bytes of /dev/urandom from each container").hasSize(3);
        // The shim's lines name the sandbox and, for a call about a container, the container (issue 26).
        assertThat(containerd.logLinesContaining("container tpl-2 created in the guest"))
                .singleElement()
                .asString()
                .contains(" sandbox=\"tpl-2\"")
                .contains(" container=\"tpl-2\"");
        assertThat(containerd.logLinesContaining(RESTORED))
                .as("the second and third runs' shim logs")
                .hasSize(restoredBefore + 2);
        // Made once, beside the first run (VmSandbox restores every VM of this configuration from it).
        assertThat(VmTemplates.list(jvmm.stateRoot()))
                .as("one template, made beside the first run")
                .filteredOn(t -> t.manifest().memoryMib() == 1024)
                .hasSize(1);
    }

    /** Waits for the template of {@code memoryMib} a maker makes beside a cold run, and for its maker to end. */
    private static void awaitTemplate(int memoryMib) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (VmTemplates.list(jvmm.stateRoot()).stream()
                .noneMatch(t -> t.manifest().memoryMib() == memoryMib)) {
            assertThat(System.nanoTime())
                    .as("a template of %d MiB within 300 s", memoryMib)
                    .isLessThan(deadline);
            Thread.sleep(500);
        }
        jvmm.awaitNoTemplateMakers(120);
    }

    private static final int CLONES = 20;
    /** Twenty VMs creating containers under TCG on two cores: 150-250 s seen, so more than the default 300 s in all. */
    private static final long CLONE_WAIT_SECONDS = 480;

    /**
     * Twenty containers at once, each in its own VM restored from one template through containerd: each
     * gets its root as a disk (no virtiofs, so no shared-memory device), its VM maps the template's memory
     * copy-on-write, and the VMs together use far less host memory than as many cold-booted ones would
     * (PSS, measured against a cold-booted VM of the same size in this run). Each reads its own randomness.
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void twentyContainersFromOneTemplateShareItsMemoryAndNotTheirRandomness() throws Exception {
        Path small = containerd.dir().resolve("jvmm-small.json");
        Path smallTemplates = containerd.dir().resolve("jvmm-small-templates.json");
        Files.writeString(small, jvmm.configWith(Map.of("vcpus", 1, "memoryMib", 512)));
        Files.writeString(smallTemplates, jvmm.configWith(Map.of("vcpus", 1, "memoryMib", 512, "templates", true)));

        double coldMib = vmPssMibWhileRunning(small, "cold-ref");
        // Made ahead, as an operator would (templates make): every clone below is then restored.
        jvmm.ensureTemplate(smallTemplates);

        List<CtrRun> runs = new ArrayList<>();
        long started = System.nanoTime();
        Throwable failure = null;
        try {
            for (int i = 0; i < CLONES; i++) {
                runs.add(CtrRun.start(
                        containerd,
                        run(
                                smallTemplates,
                                "clone-" + i,
                                "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; exec sleep 1000")));
            }
            long[] printedAfterMs = awaitFirstLines(runs, started);
            System.out.println("seconds from start to each clone's line: "
                    + Arrays.stream(printedAfterMs)
                            .mapToObj(ms -> ms < 0 ? "never" : String.format("%.1f", ms / 1000.0))
                            .toList());
            Set<String> random = new HashSet<>();
            for (int i = 0; i < runs.size(); i++) {
                CtrRun r = runs.get(i);
                assertThat(r.stdout())
                        .as(
                                "clone-%d's first line; ctr stderr: %s; containerd log on it:%n%s",
                                i, r.stderr(), containerd.logLinesMentioning("clone-" + i))
                        .matches("[0-9a-f]{32}\n");
                random.add(r.stdout().strip());
            }
            assertThat(random)
                    .as("16 bytes of /dev/urandom from each of %d clones", CLONES)
                    .hasSize(CLONES);
            assertThat(VmmConfinement.assertConfined(jvmm.stateRoot()))
                    .as("confined clones")
                    .isEqualTo(CLONES);

            List<ProcessHandle> vms = vmProcesses();
            assertThat(vms)
                    .as("one QEMU per clone and nothing else: no virtiofsd, no vsock helper")
                    .hasSize(CLONES)
                    .allSatisfy(p -> assertThat(p.info().commandLine().orElse(""))
                            .contains("qemu-system")
                            .contains("share=off")
                            .doesNotContain("vhost-user-fs"));
            double cloneMib =
                    vms.stream().mapToLong(p -> HostTools.pssBytes(p.pid())).sum() / (1024.0 * 1024) / CLONES;
            System.out.printf(
                    "PSS per VM: cold %.0f MiB, template clone %.0f MiB (%d at once) = %.2fx; all %d printed after %.0f s%n",
                    coldMib, cloneMib, CLONES, cloneMib / coldMib, CLONES, (System.nanoTime() - started) / 1e9);
            assertThat(cloneMib)
                    .as("mean PSS of a clone vs a cold VM (%.0f MiB)", coldMib)
                    .isLessThan(coldMib / 2);
        } catch (Throwable t) {
            failure = t;
            throw t;
        } finally {
            killAll(runs, failure);
        }
    }

    /** Waits until every clone printed its line (or the deadline); answers when each did, in ms from {@code started}, -1 for never. */
    private static long[] awaitFirstLines(List<CtrRun> runs, long started) throws InterruptedException {
        long[] printed = new long[runs.size()];
        Arrays.fill(printed, -1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLONE_WAIT_SECONDS);
        boolean waiting = true;
        while (waiting && System.nanoTime() < deadline) {
            waiting = false;
            for (int i = 0; i < runs.size(); i++) {
                if (printed[i] < 0 && runs.get(i).stdout().contains("\n")) {
                    printed[i] = (System.nanoTime() - started) / 1_000_000;
                }
                // A ctr that already ended will never print: no reason to wait for it.
                waiting |= printed[i] < 0 && runs.get(i).isAlive();
            }
            Thread.sleep(250);
        }
        return printed;
    }

    /**
     * Kills every clone and checks each ctr run ends with 137. When the test already failed, that failure
     * stays the one reported (a clone that never started also never ends with 137); what the kills saw is
     * attached to it.
     */
    private static void killAll(List<CtrRun> runs, Throwable failure) throws Exception {
        for (int i = 0; i < runs.size(); i++) {
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", "clone-" + i);
        }
        // One budget for all: a clone whose exit never came must not cost five minutes per clone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            try (CtrRun r = runs.get(i)) {
                long left = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
                int code = r.await(left);
                if (code != 137) {
                    problems.add("clone-" + i + "'s ctr run ended with " + code + " after its kill; its stderr: "
                            + r.stderr() + "\ncontainerd log on it:\n" + containerd.logLinesMentioning("clone-" + i));
                }
            } catch (IOException e) {
                problems.add("clone-" + i + ": " + e.getMessage() + "\n"
                        + containerd.ctr(null, "task", "ls").stdout()
                        + Leftovers.awaitingThreads(containerd.socket().toString()));
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        AssertionError killed = new AssertionError(String.join("\n", problems));
        if (failure != null) {
            failure.addSuppressed(killed);
        } else {
            throw killed;
        }
    }

    /** Host PSS of a cold-booted VM's processes (QEMU and its helpers) once its container printed a line. */
    private static double vmPssMibWhileRunning(Path config, String id) throws Exception {
        try (CtrRun cold = CtrRun.start(containerd, run(config, id, "echo up; exec sleep 1000"))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
            while (!cold.stdout().contains("up") && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            assertThat(cold.stdout()).as(cold.stderr()).isEqualTo("up\n");
            long bytes = vmProcesses().stream()
                    .mapToLong(p -> HostTools.pssBytes(p.pid()))
                    .sum();
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
            assertThat(cold.await(300)).as("ctr stderr: %s", cold.stderr()).isEqualTo(137);
            return bytes / (1024.0 * 1024);
        }
    }

    private static List<String> run(Path config, String id, String script) {
        return List.of(
                "run",
                "--rm",
                "--snapshotter",
                "native",
                "--runtime",
                JvmmRuntime.RUNTIME,
                "--runtime-config-path",
                config.toString(),
                PrivateContainerd.IMAGE,
                id,
                "sh",
                "-c",
                script);
    }

    /** The VM processes (QEMU and helpers) of this suite's sandboxes. */
    private static List<ProcessHandle> vmProcesses() {
        return Leftovers.processesMentioning(jvmm.stateRoot().resolve("s").toString());
    }
}
