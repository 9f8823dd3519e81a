package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jvmm shim run by a real containerd (2.1, private to the test) through {@code ctr}, each scenario
 * also run with containerd's own runc shim where the two must behave the same. Every jvmm container
 * is a QEMU VM (TCG here). Afterwards nothing of ours may be left: shims, VMs, helpers, sockets, mounts.
 */
@WithPrivateContainerd
class JvmmContainerdTest {
    private static final String RUNC = "io.containerd.runc.v2";
    private static final String JVMM = JvmmRuntime.RUNTIME;
    private static final long RUN_TIMEOUT = 180;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    private static List<String> run(String runtime, String id, String... command) {
        List<String> args = new ArrayList<>(
                List.of("run", "--rm", "--snapshotter", "native", "--runtime", runtime, PrivateContainerd.IMAGE, id));
        args.addAll(List.of(command));
        return args;
    }

    private static String id(String runtime, String name) {
        return (runtime.equals(JVMM) ? "j-" : "r-") + name;
    }

    /**
     * What a stalled {@code ctr run} of {@code id} waited on, for the failure's message: containerd's view of
     * the task, its log lines about it, the guest's console and the shims' threads.
     */
    private static String stalled(String id) throws Exception {
        StringBuilder b = new StringBuilder("task ls: ")
                .append(containerd.ctr(null, "task", "ls").stdout())
                .append("\ncontainerd's log about it:\n");
        List<String> log = containerd.logLinesMentioning(id).lines().toList();
        log.subList(Math.max(0, log.size() - 30), log.size())
                .forEach(l -> b.append(l).append('\n'));
        List<String> console = jvmm.consoleLines();
        b.append("console:\n");
        console.subList(Math.max(0, console.size() - 30), console.size())
                .forEach(l -> b.append(l).append('\n'));
        b.append(Leftovers.allThreads(containerd.dir().toString()));
        return b.toString();
    }

    private static void awaitRunning(String id) throws Exception {
        containerd.awaitTask(id, "RUNNING", RUN_TIMEOUT);
    }

    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void stdoutAndExitStatusComeThrough(String runtime) throws Exception {
        try (CtrRun ctr = CtrRun.start(
                containerd,
                run(
                        runtime,
                        id(runtime, "out7"),
                        "sh",
                        "-c",
                        "echo hello from the container; echo to stderr >&2; exit 7"))) {
            ctr.stdin().close();
            assertThat(ctr.await(RUN_TIMEOUT)).as(ctr.stderr()).isEqualTo(7);
            assertThat(ctr.stdout()).isEqualTo("hello from the container\n");
            assertThat(ctr.stderr()).contains("to stderr\n");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void aSigkilledTaskExitsWith137(String runtime) throws Exception {
        String id = id(runtime, "kill9");
        try (CtrRun ctr = CtrRun.start(containerd, run(runtime, id, "sleep", "1000"))) {
            awaitRunning(id);
            // A failed exec (crun forked it into the container before finding no such program) is
            // refused, and must not keep the container from dying right after.
            PrivateContainerd.Result missing =
                    containerd.ctr(null, "task", "exec", "--exec-id", "bad", id, "/no/such/program");
            assertThat(missing.exitCode()).isNotZero();
            assertThat(missing.stderr()).contains("no/such/program");

            assertThat(containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode())
                    .isZero();
            assertThat(awaitOrDiagnose(ctr)).isEqualTo(137);
        }
    }

    /** A container's init ignores SIGTERM it has no handler for, so --all reaches the child the shell waits on. */
    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void aSigtermedTaskExitsWith143(String runtime) throws Exception {
        String id = id(runtime, "term");
        try (CtrRun ctr = CtrRun.start(containerd, run(runtime, id, "sh", "-c", "sleep 1000 & wait $!"))) {
            awaitRunning(id);
            Thread.sleep(500);
            assertThat(containerd
                            .ctr(null, "task", "kill", "--all", "-s", "SIGTERM", id)
                            .exitCode())
                    .isZero();
            assertThat(ctr.await(RUN_TIMEOUT))
                    .as("ctr stderr: %s", ctr.stderr())
                    .isEqualTo(143);
        }
    }

    /**
     * ctr only closes the task's stdin at end of input if that end comes after the task started (its
     * closer is installed after NewTask), for runc as for jvmm: the test writes once the task runs.
     */
    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void stdinPipedInReachesTheProcessAndItsEndFinishesIt(String runtime) throws Exception {
        String id = id(runtime, "stdin");
        try (CtrRun ctr = CtrRun.start(containerd, run(runtime, id, "sh", "-c", "wc -l; tr a-z A-Z"))) {
            awaitRunning(id);
            ctr.stdin().write("one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8));
            ctr.stdin().close();
            assertThat(ctr.await(RUN_TIMEOUT)).as(ctr.stderr()).isZero();
            assertThat(ctr.stdout()).isEqualTo("3\n");
        }
    }

    /**
     * A client that goes away without CloseIO (ctr killed) does not end the process's stdin: as with runc,
     * {@code ctr task attach} writes on into it and reads the answers.
     */
    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void stdinOutlivesAKilledClientAndAttachTakesOver(String runtime) throws Exception {
        String id = id(runtime, "attach");
        try {
            try (CtrRun first = CtrRun.start(
                    containerd, run(runtime, id, "sh", "-c", "while read l; do echo \"got $l\"; done; echo eof"))) {
                awaitRunning(id);
                first.writeLine("one");
                first.awaitStdout("got one\n", RUN_TIMEOUT);
                first.close(); // SIGKILL: ctr's ends of the fifos close, no CloseIO
                first.await(RUN_TIMEOUT);
            }
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern(id + "\\s+\\d+\\s+RUNNING");
            try (CtrRun attached = CtrRun.start(containerd, List.of("task", "attach", id))) {
                attached.writeLine("two");
                attached.awaitStdout("got two\n", RUN_TIMEOUT);
                assertThat(containerd
                                .ctr(null, "task", "kill", "-s", "SIGKILL", id)
                                .exitCode())
                        .isZero();
                assertThat(attached.await(RUN_TIMEOUT)).isEqualTo(137);
                assertThat(attached.stdout())
                        .as("the process saw no end of its input")
                        .isEqualTo("got two\n");
            }
        } finally {
            containerd.ctr(null, "task", "delete", "--force", id); // the killed ctr's --rm never ran
            containerd.ctr(null, "containers", "delete", id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {RUNC, JVMM})
    void aTerminalGivesTheProcessATty(String runtime) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "run",
                "--rm",
                "-t",
                "--snapshotter",
                "native",
                "--runtime",
                runtime,
                PrivateContainerd.IMAGE,
                id(runtime, "tty"),
                "sh",
                "-c",
                "tty; stty size; exit 5"));
        try (CtrRun ctr = CtrRun.start(containerd, args, true)) {
            assertThat(ctr.await(RUN_TIMEOUT)).as(ctr.stdout()).isEqualTo(5);
            assertThat(ctr.stdout()).contains("/dev/pts/0").doesNotContain("not a tty");
        }
    }

    @Test
    void fiftyMebibytesOfOutputArriveIntact() throws Exception {
        String script = "head -c 52428800 /dev/urandom > /tmp/data && sha256sum /tmp/data >&2 && cat /tmp/data";
        try (CtrRun ctr = CtrRun.start(containerd, run(JVMM, "j-big", "sh", "-c", script))) {
            ctr.stdin().close();
            assertThat(ctr.await(RUN_TIMEOUT, () -> stalled("j-big")))
                    .as(ctr.stderr())
                    .isZero();
            byte[] out = ctr.stdoutBytes();
            assertThat(out).hasSize(52428800);
            String digest = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(out));
            assertThat(ctr.stderr()).startsWith(digest);
        }
    }

    /** One running container: exec (with and without stdin), ps, pause/resume, metrics, a duplicate exec id, then kill. */
    @Test
    void aRunningContainerCanBeInspectedExecutedIntoPausedAndKilled() throws Exception {
        String id = "j-long";
        try (CtrRun ctr = CtrRun.start(containerd, run(JVMM, id, "sh", "-c", "sleep 1000 & wait $!"))) {
            awaitRunning(id);
            PrivateContainerd.Result exec =
                    containerd.ctr(null, "task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in exec; exit 3");
            assertThat(exec.exitCode()).as(exec.stderr()).isEqualTo(3);
            assertThat(exec.stdout()).isEqualTo("in exec\n");

            // ctr exec with stdin: CloseIO comes while the last of the input may still be in the fifo; all of it
            // counts.
            byte[] input = new byte[1 << 20];
            new Random(11).nextBytes(input);
            PrivateContainerd.Result piped =
                    containerd.ctr(input, "task", "exec", "--exec-id", "e-in", id, "sha256sum");
            assertThat(piped.exitCode()).as(piped.stderr()).isZero();
            assertThat(piped.stdout())
                    .startsWith(HexFormat.of()
                                    .formatHex(
                                            MessageDigest.getInstance("SHA-256").digest(input))
                            + "  -");

            // Every pid containerd is told is the VMM's, a host process of this task: the guest's own pids name
            // unrelated host processes, where host tools (nsenter -t, CRI's fd metrics, NRI) would act.
            Matcher listed = Pattern.compile("(?m)^" + id + "\\s+(\\d+)\\s+RUNNING")
                    .matcher(containerd.ctr(null, "task", "ls").stdout());
            assertThat(listed.find()).isTrue();
            long taskPid = Long.parseLong(listed.group(1));
            assertThat(qemus())
                    .extracting(ProcessHandle::pid)
                    .as("the VMM processes of the suite's sandboxes")
                    .contains(taskPid);
            PrivateContainerd.Result ps = containerd.ctr(null, "task", "ps", id);
            assertThat(ps.stdout()
                            .lines()
                            .skip(1)
                            .filter(l -> l.matches("\\d+\\s*.*"))
                            .map(l -> Long.parseLong(l.split("\\s+")[0])))
                    .as(ps.stdout())
                    .containsExactly(taskPid);

            assertThat(containerd.ctr(null, "task", "pause", id).exitCode()).isZero();
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern(id + "\\s+\\d+\\s+PAUSED");
            assertThat(containerd.ctr(null, "task", "resume", id).exitCode()).isZero();
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern(id + "\\s+\\d+\\s+RUNNING");

            PrivateContainerd.Result metrics = containerd.ctr(null, "task", "metrics", id);
            assertThat(metrics.exitCode()).as(metrics.stderr()).isZero();
            assertThat(metrics.stdout())
                    .containsPattern("memory.usage\\s+[1-9]\\d*")
                    .containsPattern("pids.current\\s+2");

            Process longExec = containerd.startCtr("task", "exec", "--exec-id", "e2", id, "sleep", "1000");
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                PrivateContainerd.Result dup;
                do {
                    Thread.sleep(200);
                    dup = containerd.ctr(null, "task", "exec", "--exec-id", "e2", id, "true");
                } while (!dup.stderr().contains("already exists") && System.nanoTime() < deadline);
                assertThat(dup.exitCode()).isNotZero();
                assertThat(dup.stderr()).contains("already exists");
            } finally {
                longExec.destroyForcibly();
            }

            assertThat(containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode())
                    .isZero();
            assertThat(awaitOrDiagnose(ctr)).isEqualTo(137);
        }
    }

    /**
     * Requests the shim must refuse (or accept) exactly as runc's does, as ctr reports them: a duplicate
     * exec id, resuming a running task, killing a paused one, killing an exited one; then delete.
     */
    @Test
    void refusalsMatchTheRuncShims() throws Exception {
        assertThat(outcomes(JVMM)).isEqualTo(outcomes(RUNC));
    }

    private static List<String> outcomes(String runtime) throws Exception {
        String id = id(runtime, "parity");
        List<String> outcomes = new ArrayList<>();
        PrivateContainerd.Result run = containerd.ctr(
                null,
                "run",
                "-d",
                "--snapshotter",
                "native",
                "--runtime",
                runtime,
                PrivateContainerd.IMAGE,
                id,
                "sh",
                "-c",
                "sleep 1000 & wait $!");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        awaitRunning(id);
        Process longExec = containerd.startCtr(
                "task", "exec", "--exec-id", "dup", id, "sh", "-c", "touch /dup-runs; exec sleep 1000");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int probe = 0;
            while (containerd
                                    .ctr(
                                            null,
                                            "task",
                                            "exec",
                                            "--exec-id",
                                            "probe" + probe++,
                                            id,
                                            "test",
                                            "-e",
                                            "/dup-runs")
                                    .exitCode()
                            != 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            PrivateContainerd.Result dup = containerd.ctr(null, "task", "exec", "--exec-id", "dup", id, "true");
            outcomes.add("duplicate exec: " + dup.exitCode()
                    + (dup.stderr().contains("already exists") ? " already exists" : ""));
        } finally {
            longExec.destroyForcibly();
        }
        outcomes.add(
                "resume running: " + (containerd.ctr(null, "task", "resume", id).exitCode() == 0 ? "ok" : "refused"));
        // A paused task is killed as runc's shim kills a frozen container (jvmm resumes the VM for it).
        outcomes.add("pause: " + containerd.ctr(null, "task", "pause", id).exitCode());
        outcomes.add("kill paused: "
                + containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode());
        containerd.awaitTask(id, "STOPPED", 60);
        outcomes.add("kill exited: "
                + containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id).exitCode());
        outcomes.add("delete: " + containerd.ctr(null, "task", "delete", id).exitCode());
        outcomes.add("container delete: "
                + containerd.ctr(null, "containers", "delete", id).exitCode());
        return outcomes;
    }

    /**
     * A VM larger than the memory the host has available is refused before anything starts, with the
     * numbers (RESOURCE_EXHAUSTED; containerd 2.1's ctr prints only the message); no process, mount or state
     * is left (the suite's leftover check). Before, QEMU was started and failed (or was killed) late.
     */
    @Test
    void aVmLargerThanTheHostsMemoryIsRefusedBeforeItStarts() throws Exception {
        long hostMib = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                        .filter(l -> l.startsWith("MemTotal:"))
                        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                        .findFirst()
                        .orElseThrow()
                / 1024;
        Path huge = containerd.dir().resolve("jvmm-huge.json");
        Files.writeString(huge, jvmm.configWith(Map.of("memoryMib", hostMib * 2)));
        String id = "j-toolarge";
        long begin = System.nanoTime();
        PrivateContainerd.Result run = containerd.ctr(
                null,
                "run",
                "--rm",
                "--snapshotter",
                "native",
                "--runtime",
                JVMM,
                "--runtime-config-path",
                huge.toString(),
                PrivateContainerd.IMAGE,
                id,
                "true");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.stderr())
                .as(run.stderr())
                .contains("a VM of " + hostMib * 2 + " MiB needs about")
                .contains("MiB available");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(60));
        assertThat(containerd.ctr(null, "task", "ls").stdout()).doesNotContain(id);
        containerd.ctr(null, "containers", "delete", id);
    }

    /** The VM's death is the death of its processes: reported as killed (137), then cleaned up as usual. */
    @Test
    void aTaskWhoseVmDiesExitsWith137() throws Exception {
        String id = "j-vmdies";
        // This task's QEMU, not one another test may have left behind: the one that was not there before.
        List<Long> before = qemus().stream().map(ProcessHandle::pid).toList();
        try (CtrRun ctr = CtrRun.start(containerd, run(JVMM, id, "sleep", "1000"))) {
            awaitRunning(id);
            List<ProcessHandle> started =
                    qemus().stream().filter(p -> !before.contains(p.pid())).toList();
            assertThat(started).as("QEMU processes this task started").hasSize(1);
            started.getFirst().destroyForcibly();
            assertThat(awaitOrDiagnose(ctr)).as(ctr.stderr()).isEqualTo(137);
        }
    }

    private static List<ProcessHandle> qemus() {
        return Leftovers.processesMentioning(jvmm.stateRoot().toString()).stream()
                .filter(p -> p.info().command().orElse("").contains("qemu-system"))
                .toList();
    }

    /** Waits for a foreground ctr; if it hangs, the failure carries containerd's view and log (with the shims' lines). */
    private static int awaitOrDiagnose(CtrRun ctr) throws Exception {
        try {
            return ctr.await(RUN_TIMEOUT);
        } catch (IOException e) {
            String log = Files.readString(containerd.dir().resolve("containerd.log"));
            throw new IOException(
                    e.getMessage() + "\ntasks:\n"
                            + containerd.ctr(null, "task", "ls").stdout()
                            + "\n"
                            + Leftovers.awaitingThreads(containerd.socket().toString())
                            + "\ncontainerd log (end):\n" + log.substring(Math.max(0, log.length() - 6000)),
                    e);
        }
    }

    /** An OOM kill in the guest reaches containerd's event stream as /tasks/oom for the container. */
    @Test
    void anOomKillInTheGuestBecomesATaskOomEvent() throws Exception {
        String id = "j-oom";
        try (CtrRun events = CtrRun.start(containerd, List.of("events"))) {
            List<String> args = new ArrayList<>(List.of(
                    "run",
                    "--rm",
                    "--snapshotter",
                    "native",
                    "--runtime",
                    JVMM,
                    "--memory-limit",
                    "33554432",
                    PrivateContainerd.IMAGE,
                    id,
                    "sh",
                    "-c",
                    "a=$(head -c 200000000 /dev/zero | tr '\\0' x); echo survived"));
            try (CtrRun ctr = CtrRun.start(containerd, args)) {
                ctr.stdin().close();
                assertThat(ctr.await(RUN_TIMEOUT)).as(ctr.stderr()).isNotZero();
                assertThat(ctr.stdout()).doesNotContain("survived");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!events.stdout().contains("/tasks/oom") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(events.stdout()).containsPattern("/tasks/oom.*" + id);
        }
    }

    /** Ten VMs booting at once under TCG on two cores: 150-235 s seen here, so more than the default 300 s in all. */
    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void tenContainersRunInParallelEachInItsOwnVm() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String id = "j-par" + i;
                results.add(pool.submit((Callable<String>) () -> {
                    try (CtrRun ctr = CtrRun.start(containerd, run(JVMM, id, "sh", "-c", "echo $(hostname) ran"))) {
                        ctr.stdin().close();
                        int code = ctr.await(600);
                        return code + ":" + ctr.stdout() + (code == 0 ? "" : ctr.stderr());
                    }
                }));
            }
            for (int i = 0; i < 10; i++) {
                assertThat(results.get(i).get(660, TimeUnit.SECONDS)).isEqualTo("0:j-par" + i + " ran\n");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
