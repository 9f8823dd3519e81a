package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.VmmConfinement;
import io.jvmm.vmm.BoundedLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root in the guest is hostile (docs/security.md). Two containers share one VM (one group): the first is
 * privileged, mounts the virtio-fs share's tag inside the guest and attacks the host through it while the
 * shim sets up and tears down the second, which has host volumes. Whatever the guest does, nothing on the
 * host outside the sandbox may change: no mount lands on a path the guest chose, a read-only volume stays
 * read-only, and nothing outlives the pod.
 */
@WithPrivateContainerd(deletesTemplates = true)
class HostileGuestTest {
    private static final String JVMM = JvmmRuntime.RUNTIME;
    private static final long TIMEOUT = 240;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private Path dir;
    private final List<String> started = new ArrayList<>();

    @BeforeEach
    void hostFiles() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-hostile");
    }

    /** Every task this test started is killed and deleted, and anything mounted below its directory undone. */
    @AfterEach
    void cleanUp() throws Exception {
        for (String id : started.reversed()) {
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
            containerd.ctr(null, "task", "delete", "--force", id);
            containerd.ctr(null, "containers", "delete", id);
        }
        for (String m : mountsBelow(dir).reversed()) {
            new ProcessBuilder("umount", "-l", m).start().waitFor(10, TimeUnit.SECONDS);
        }
        Leftovers.deleteTree(dir);
    }

    /**
     * Kata CVE-2020-2026 and CVE-2020-2024: before the second container is created, the guest plants
     * symlinks where the shim would make that container's volume mount points. The host must not mount
     * through them; after the pod is gone nothing is mounted on the host path they named.
     */
    @Test
    void symlinksPlantedForVolumesDoNotRedirectHostMounts() throws Exception {
        Path victim = victim("victim-volume");
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Files.writeString(volume.resolve("data"), "volume data\n");
        // The volume's index in the spec's mounts depends on ctr's defaults: every index is covered.
        String attack =
                "mkdir -p /s/hv-b/mounts; for i in $(seq 0 31); do ln -s " + victim + " /s/hv-b/mounts/$i; done";
        try (CtrRun attacker = attacker("hv-a", attack)) {
            PrivateContainerd.Result run = runDetached(
                    "hv-b",
                    List.of("--mount", "type=bind,src=" + volume + ",dst=/v,options=rbind:ro"),
                    "sleep",
                    "1000");
            assertThat(mountsBelow(dir))
                    .as("host mounts below the test's directory while the pod runs; guest said: %s", attacker.stdout())
                    .isEmpty();
            assertThat(run.exitCode()).as("ctr run: %s", run.stderr()).isZero();
            containerd.awaitTask("hv-b", "RUNNING", TIMEOUT);
            PrivateContainerd.Result read =
                    containerd.ctr(null, "task", "exec", "--exec-id", "r", "hv-b", "cat", "/v/data");
            assertThat(read.stdout()).as(read.stderr()).isEqualTo("volume data\n");
            stop("hv-b");
            stopAttacker("hv-a", attacker);
        }
        assertThat(mountsBelow(dir))
                .as("host mounts below the test's directory after the pod")
                .isEmpty();
        assertThat(Files.readString(victim.resolve("marker"))).isEqualTo("untouched\n");
    }

    /** The same with the container's root: the guest names a host directory where the shim mounts it. */
    @Test
    void aSymlinkPlantedForARootDoesNotRedirectItsMount() throws Exception {
        Path victim = victim("victim-root");
        try (CtrRun attacker = attacker("hv-e", "ln -s " + victim + " /s/hv-f")) {
            PrivateContainerd.Result run = runDetached("hv-f", List.of(), "sleep", "1000");
            assertThat(mountsBelow(dir))
                    .as("host mounts below the test's directory; guest said: %s", attacker.stdout())
                    .isEmpty();
            assertThat(run.exitCode()).as("ctr run: %s", run.stderr()).isZero();
            stop("hv-f");
            stopAttacker("hv-e", attacker);
        }
        assertThat(mountsBelow(dir)).isEmpty();
        assertThat(Files.readString(victim.resolve("marker"))).isEqualTo("untouched\n");
        assertThat(victim)
                .isDirectoryNotContaining(p -> !p.getFileName().toString().equals("marker"));
    }

    /**
     * Kata CVE-2020-28914: a volume mounted read-only for a container must be read-only for the whole
     * guest, root included, not only inside that container's mount namespace.
     */
    @Test
    void aReadOnlyVolumeIsReadOnlyForGuestRoot() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("ro-volume"));
        Files.writeString(volume.resolve("data"), "read only\n");
        try (CtrRun attacker = attacker("hv-c", "true")) {
            PrivateContainerd.Result run = runDetached(
                    "hv-d",
                    List.of("--mount", "type=bind,src=" + volume + ",dst=/v,options=rbind:ro"),
                    "sleep",
                    "1000");
            assertThat(run.exitCode()).as("ctr run: %s", run.stderr()).isZero();
            containerd.awaitTask("hv-d", "RUNNING", TIMEOUT);
            String write = "for f in /s/hv-d/mounts/*; do echo owned > $f/planted && echo wrote $f; done; echo done";
            PrivateContainerd.Result r =
                    containerd.ctr(null, "task", "exec", "--exec-id", "w", "hv-c", "sh", "-c", write);
            assertThat(r.stdout())
                    .as("the guest's writes (stderr %s)", r.stderr())
                    .endsWith("done\n");
            assertThat(volume.resolve("planted"))
                    .as("guest root wrote: %s", r.stdout())
                    .doesNotExist();
            stop("hv-d");
            stopAttacker("hv-c", attacker);
        }
        assertThat(Files.readString(volume.resolve("data"))).isEqualTo("read only\n");
    }

    /**
     * The VMM runs under QEMU's seccomp sandbox (no spawning, no set*uid, no obsolete calls) with
     * NoNewPrivs as an unprivileged user without capabilities, and another host user can neither list nor
     * read anything of the running sandbox's state.
     */
    @Test
    void theVmmIsConfinedAndTheStateIsPrivate() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(volume.resolve("token"), "service account token\n");
        PrivateContainerd.Result run = runDetached(
                "hv-g", List.of("--mount", "type=bind,src=" + volume + ",dst=/v,options=rbind:ro"), "sleep", "1000");
        assertThat(run.exitCode()).as("ctr run: %s", run.stderr()).isZero();
        containerd.awaitTask("hv-g", "RUNNING", TIMEOUT);

        assertThat(VmmConfinement.assertConfined(jvmm.stateRoot())).isEqualTo(1);

        List<Path> files;
        try (var walk = Files.walk(jvmm.stateRoot().resolve("s"))) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .toList();
        }
        assertThat(files)
                .as("the sandbox's files (console, record, the volume through the share)")
                .anyMatch(p -> p.endsWith("token"))
                .anyMatch(p -> p.toString().endsWith(".log"));
        assertThat(asNobody("ls", "-A", jvmm.stateRoot().toString()).exitCode())
                .as("list the state root")
                .isNotZero();
        for (Path f : files) {
            PrivateContainerd.Result read = asNobody("head", "-c", "1", f.toString());
            assertThat(read.exitCode())
                    .as("another user reads %s: %s", f, read.stdout())
                    .isNotZero();
        }
        stop("hv-g");
    }

    /**
     * Guest root floods the serial console (the guest's ttyS0, made with mknod: the container's /dev has no
     * guest devices) with more than twice the log's limit: the host keeps at most two limits of it
     * (console.log and console.log.1) and the sandbox goes on serving.
     */
    @Test
    void aConsoleFloodIsKeptWithinItsBound() throws Exception {
        long flood = 2 * BoundedLog.DEFAULT_LIMIT + (1 << 20);
        PrivateContainerd.Result run = runDetached(
                "hv-h",
                List.of("--privileged"),
                "sh",
                "-c",
                "mknod /tmp/ttyS0 c 4 64 && head -c " + flood
                        + " /dev/zero | tr '\\0' x > /tmp/ttyS0 && echo flooded > /tmp/done;" + " exec sleep 1000");
        assertThat(run.exitCode()).as("ctr run: %s", run.stderr()).isZero();
        containerd.awaitTask("hv-h", "RUNNING", TIMEOUT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT);
        PrivateContainerd.Result done;
        do {
            Thread.sleep(1000);
            done = containerd.ctr(
                    null, "task", "exec", "--exec-id", "d" + System.nanoTime(), "hv-h", "cat", "/tmp/done");
        } while (!done.stdout().equals("flooded\n") && System.nanoTime() < deadline);
        assertThat(done.stdout()).as("the flood finished: %s", done.stderr()).isEqualTo("flooded\n");

        List<Path> logs;
        try (var walk = Files.walk(jvmm.stateRoot().resolve("s"))) {
            logs = walk.filter(p -> p.getFileName().toString().startsWith("console.log"))
                    .toList();
        }
        long kept = 0;
        for (Path log : logs) {
            kept += Files.size(log);
        }
        assertThat(logs).as("the rotated console log").hasSize(2);
        assertThat(kept)
                .as("console bytes on the host after a %d-byte flood", flood)
                .isLessThanOrEqualTo(2 * BoundedLog.DEFAULT_LIMIT);
        stop("hv-h");
    }

    /**
     * The agent answers WaitProcess at once ("no exit yet") instead of when the process exits: the shim asks
     * again at most about once a second instead of spinning on the answers, and still reports the exit that
     * comes in the end. The guest tells its count on the console, which the host reads.
     */
    @Test
    void anAgentAnsweringWaitsAtOnceDoesNotMakeTheShimSpin() throws Exception {
        Path config = hostileConfig("instant-wait");
        started.add("hv-w");
        try (CtrRun run = CtrRun.start(
                containerd,
                List.of(
                        "run",
                        "--snapshotter",
                        "native",
                        "--runtime",
                        JVMM,
                        "--runtime-config-path",
                        config.toString(),
                        PrivateContainerd.IMAGE,
                        "hv-w",
                        "sleep",
                        "1000"))) {
            containerd.awaitTask("hv-w", "RUNNING", TIMEOUT);
            long first = waitsAnsweredAtOnce();
            long since = System.nanoTime();
            Thread.sleep(10_000);
            long waits = waitsAnsweredAtOnce() - first;
            double seconds = (System.nanoTime() - since) / 1e9 + 1; // the guest reports its count once a second
            System.out.printf("HostileGuestTest: %d waits answered at once in %.1f s%n", waits, seconds);
            assertThat(waits)
                    .as("WaitProcess calls answered at once in %.0f s", seconds)
                    .isPositive()
                    .isLessThanOrEqualTo((long) (2 * seconds));
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", "hv-w");
            assertThat(run.await(TIMEOUT))
                    .as("the exit, once the guest reports it: %s", run.stderr())
                    .isEqualTo(137);
        }
    }

    /**
     * The agent reports a flood of OOM kills for a container from its start until it is deleted, and the
     * container exits while containerd is held still (as a busy containerd is, taking no events): once it
     * goes on, containerd gets the exit, promptly, and then the delete. (The old 2048-entry queue dropped
     * OOM events while containerd was away, and logged an error for each, which slowed the shim's reading
     * of its agent so much that the exit reached containerd 70 s after it happened.)
     */
    @Test
    void aFloodOfOomEventsNeverCrowdsOutTheExitAndDelete() throws Exception {
        Path config = hostileConfig("oom-flood");
        started.add("hv-o");
        try (CtrRun events = CtrRun.start(containerd, List.of("events"));
                CtrRun run = CtrRun.start(
                        containerd,
                        List.of(
                                "run",
                                "--rm",
                                "--snapshotter",
                                "native",
                                "--runtime",
                                JVMM,
                                "--runtime-config-path",
                                config.toString(),
                                PrivateContainerd.IMAGE,
                                "hv-o",
                                "sh",
                                "-c",
                                "sleep 8; exit 7"))) {
            containerd.awaitTask("hv-o", "RUNNING", TIMEOUT);
            containerd.freeze(Duration.ofSeconds(15)); // the exit comes meanwhile
            assertThat(run.await(TIMEOUT)).as(run.stderr()).isEqualTo(7);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (eventsOf(events, "hv-o", "/tasks/delete") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            long ooms = eventsOf(events, "hv-o", "/tasks/oom");
            System.out.printf("HostileGuestTest: %d OOM events reached containerd%n", ooms);
            assertThat(ooms)
                    .as("OOM events that reached containerd (the flood is real)")
                    .isPositive();
            assertThat(eventsOf(events, "hv-o", "/tasks/exit"))
                    .as("exit events")
                    .isEqualTo(1);
            assertThat(eventsOf(events, "hv-o", "/tasks/delete"))
                    .as("delete events")
                    .isEqualTo(1);
            assertThat(exitLatency(events, "hv-o"))
                    .as("from the exit to its event, a 15 s freeze included")
                    .isLessThan(Duration.ofSeconds(40));
        }
    }

    /** From a process's exit (the event's exited_at) to containerd publishing its /tasks/exit (ctr events' time). */
    private static Duration exitLatency(CtrRun events, String id) {
        String line = events.stdout()
                .lines()
                .filter(l -> l.contains(" /tasks/exit ") && l.contains("\"" + id + "\""))
                .findFirst()
                .orElseThrow();
        String[] time = line.split(" ", 4); // Go's time.String: 2006-01-02 15:04:05.999999999 -0700 MST
        Instant published = LocalDateTime.parse(time[0] + "T" + time[1]).toInstant(ZoneOffset.of(time[2]));
        Matcher exited = Pattern.compile("\"exited_at\":\\{\"seconds\":(\\d+)").matcher(line);
        assertThat(exited.find()).as(line).isTrue();
        return Duration.between(Instant.ofEpochSecond(Long.parseLong(exited.group(1))), published);
    }

    /**
     * The agent garbles the serial port's stream mux (a templated VM's agent is reached over it). Frames the
     * host must drop (empty data on every stream it may have open; data, credit, ends and resets for streams
     * it never opened; answers to opens it never asked for) leave the container serving. Then bytes that are
     * no frame end the host's mux: the shim reports the container gone and cleans up instead of hanging.
     */
    @Test
    void garbageOnTheSerialMuxIsDroppedAndABrokenMuxEndsTheTaskCleanly() throws Exception {
        Path config = hostileConfig("mux-garbage", true);
        // Restored, so that its agent is reached over the mux: the template (of this misbehaving agent, which
        // only garbles after its cue) is made ahead, or this run would boot cold, over vsock.
        jvmm.ensureTemplate(config);
        started.add("hv-m");
        try (CtrRun run = CtrRun.start(
                containerd,
                List.of(
                        "run",
                        "--rm",
                        "--snapshotter",
                        "native",
                        "--runtime",
                        JVMM,
                        "--runtime-config-path",
                        config.toString(),
                        PrivateContainerd.IMAGE,
                        "hv-m",
                        "sleep",
                        "1000"))) {
            containerd.awaitTask("hv-m", "RUNNING", TIMEOUT);
            PrivateContainerd.Result cue = containerd.ctr(null, "task", "kill", "-s", "SIGUSR1", "hv-m");
            assertThat(cue.exitCode()).as(cue.stderr()).isZero();
            jvmm.awaitConsole("jvmm-hostile: mux garbage sent after signal 10", TIMEOUT);
            PrivateContainerd.Result alive =
                    containerd.ctr(null, "task", "exec", "--exec-id", "alive", "hv-m", "echo", "alive");
            assertThat(alive.stdout())
                    .as("an exec after the garbage: %s", alive.stderr())
                    .isEqualTo("alive\n");
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern("hv-m\\s+\\d+\\s+RUNNING");

            containerd.ctr(null, "task", "kill", "-s", "SIGUSR2", "hv-m");
            assertThat(run.await(TIMEOUT))
                    .as("the task once its agent's mux broke: %s", run.stderr())
                    .isEqualTo(137);
        }
    }

    /** The installed configuration with the guest agent told to misbehave ({@code jvmm.hostile=}). */
    private Path hostileConfig(String behaviours) throws IOException {
        return hostileConfig(behaviours, false);
    }

    private Path hostileConfig(String behaviours, boolean templates) throws IOException {
        Path config = dir.resolve("hostile-" + behaviours + ".json");
        Files.writeString(
                config, jvmm.configWith(Map.of("kernelArgs", "jvmm.hostile=" + behaviours, "templates", templates)));
        return config;
    }

    /** Waits until a sandbox's console has said {@code line}. */
    /** The count the hostile agent last wrote on its console (only one such sandbox runs at a time). */
    private static long waitsAnsweredAtOnce() throws IOException {
        String prefix = "jvmm-hostile: waits answered at once: ";
        long count = 0;
        for (String line : jvmm.consoleLines()) {
            int at = line.indexOf(prefix);
            if (at >= 0) {
                count = Long.parseLong(line.substring(at + prefix.length()).strip());
            }
        }
        return count;
    }

    private static long eventsOf(CtrRun events, String id, String topic) {
        return events.stdout()
                .lines()
                .filter(l -> l.contains(" " + topic + " ") && l.contains("\"" + id + "\""))
                .count();
    }

    private static PrivateContainerd.Result asNobody(String... command) throws Exception {
        List<String> args =
                new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new PrivateContainerd.Result(
                p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** A host directory with a marker file, which the guest names in its symlinks. */
    private Path victim(String name) throws IOException {
        Path victim = Files.createDirectories(dir.resolve(name));
        Files.writeString(victim.resolve("marker"), "untouched\n");
        return victim;
    }

    /**
     * The privileged first container of the group: it mounts the share's virtio-fs tag at /s, runs
     * {@code script}, says "attacked" and sleeps. Returns once it has said so.
     */
    private CtrRun attacker(String id, String script) throws Exception {
        String full =
                "mkdir -p /s && mount -t virtiofs jvmm /s && echo mounted; " + script + "; echo attacked; sleep 1000";
        started.add(id);
        CtrRun ctr = CtrRun.start(
                containerd,
                List.of(
                        "run",
                        "--privileged",
                        "--snapshotter",
                        "native",
                        "--runtime",
                        JVMM,
                        "--annotation",
                        "io.containerd.jvmm.v2.group=" + group(),
                        PrivateContainerd.IMAGE,
                        id,
                        "sh",
                        "-c",
                        full));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT);
        while (!ctr.stdout().contains("attacked\n")) {
            if (System.nanoTime() > deadline || !ctr.isAlive()) {
                ctr.close();
                throw new AssertionError(
                        "the attacker did not run: stdout " + ctr.stdout() + ", stderr " + ctr.stderr());
            }
            Thread.sleep(100);
        }
        assertThat(ctr.stdout())
                .as("the guest mounted the share (the attack is real)")
                .startsWith("mounted\n");
        return ctr;
    }

    /** {@code ctr run -d} in the test's group; the caller checks the result (an attack may make it fail). */
    private PrivateContainerd.Result runDetached(String id, List<String> options, String... command) throws Exception {
        started.add(id);
        List<String> args = new ArrayList<>(List.of(
                "run",
                "-d",
                "--snapshotter",
                "native",
                "--runtime",
                JVMM,
                "--annotation",
                "io.containerd.jvmm.v2.group=" + group()));
        args.addAll(options);
        args.addAll(List.of(PrivateContainerd.IMAGE, id));
        args.addAll(List.of(command));
        return containerd.ctr(null, args.toArray(String[]::new));
    }

    private void stop(String id) throws Exception {
        containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
        PrivateContainerd.Result r = containerd.ctr(null, "task", "delete", "--force", id);
        assertThat(r.exitCode()).as("delete %s: %s", id, r.stderr()).isZero();
        containerd.ctr(null, "containers", "delete", id);
    }

    /** The attacker's {@code ctr run} deletes its task itself once it has exited. */
    private void stopAttacker(String id, CtrRun attacker) throws Exception {
        containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
        assertThat(attacker.await(TIMEOUT)).isEqualTo(137);
        containerd.ctr(null, "containers", "delete", id);
    }

    private String group() {
        return "hostile-" + dir.getFileName().toString().replaceAll("[^A-Za-z0-9]", "");
    }

    private static List<String> mountsBelow(Path dir) throws IOException {
        String prefix = dir.toString() + "/";
        return Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8).stream()
                .map(l -> l.split(" ")[4])
                .filter(p -> p.startsWith(prefix) || p.equals(dir.toString()))
                .toList();
    }
}
