package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.VmmConfinement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint and restore of a running container through real containerd: {@code ctr containers
 * checkpoint --task} and {@code ctr task checkpoint --exit} save its whole VM into checkpoint images,
 * {@code ctr containers restore --live} starts a new shim whose VM is restored from the first, and the
 * container's counter goes on counting from where it was, its output reaching the new clients: in the
 * default configuration (a booted VM, the lone container's root on a disk) and with templates (a restored
 * one). A container whose VM has the virtiofs share (here one with a bind mount, which keeps it) is refused
 * with the reason.
 */
@WithPrivateContainerd(deletesTemplates = true)
class CheckpointTest {
    private static final String COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.5; done";
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private static Path templated;

    @BeforeAll
    static void start() throws Exception {
        templated = containerd.dir().resolve("jvmm-ck.json");
        Files.writeString(templated, jvmm.configWith(Map.of("vcpus", 1, "memoryMib", 512, "templates", true)));
        // The templated case restores its container's VM from the template: made ahead (the first container
        // of a size would otherwise boot cold while its template is made beside it).
        jvmm.ensureTemplate(templated);
    }

    /** The default configuration: no template, the VM booted in the snapshot layout, the root on a disk. */
    @Test
    void aCheckpointedCounterKeepsCountingInTheDefaultConfiguration() throws Exception {
        checkpointAndRestoreACounter("ck-default", null);
    }

    @Test
    void aCheckpointedCounterKeepsCountingInANewShimAndItsOutputReachesTheNewClient() throws Exception {
        checkpointAndRestoreACounter("ck-counter", templated);
    }

    private void checkpointAndRestoreACounter(String id, Path config) throws Exception {
        String checkpoint = "localhost/jvmm/checkpoints/" + id + ":1";
        String taskImage;
        List<Integer> before;
        try (CtrRun events = CtrRun.start(containerd, List.of("events"));
                CtrRun first = CtrRun.start(containerd, run(id, config, List.of(), "sh", "-c", COUNTER))) {
            awaitLine(first, "3");
            // The checkpoint restored below: "containers checkpoint --task" writes an image that
            // "containers restore" can read (ctr 2.1's "task checkpoint" image lacks the image-name
            // annotation restore needs); the container runs on.
            PrivateContainerd.Result saved = containerd.ctr(null, "containers", "checkpoint", "--task", id, checkpoint);
            assertThat(saved.exitCode()).as(saved.stderr()).isZero();
            awaitLine(first, String.valueOf(numbers(first.stdout()).getLast() + 2));
            // And "task checkpoint --exit": a second checkpoint, after which the container is killed.
            PrivateContainerd.Result ck = containerd.ctr(null, "task", "checkpoint", "--exit", id);
            assertThat(ck.exitCode()).as(ck.stderr()).isZero();
            taskImage = ck.stdout().strip();
            assertThat(taskImage).as("the checkpoint image's name").startsWith("containerd.io/checkpoint/" + id + ":");
            assertThat(first.await(120))
                    .as("--exit ends the checkpointed container")
                    .isEqualTo(137);
            before = numbers(first.stdout());
            awaitLine(events, "/tasks/checkpointed");
        }
        containerd.ctr(null, "task", "delete", id);
        assertThat(containerd.ctr(null, "containers", "delete", id).exitCode()).isZero();
        assertThat(containerd.ctr(null, "images", "ls", "-q").stdout())
                .contains(checkpoint)
                .contains(taskImage);
        containerd.ctr(null, "images", "rm", taskImage);

        try {
            // ctr 2.1's restore path (its "run --checkpoint" flag is gone): the container comes back from the
            // checkpoint image with its runtime and options, --live restores its task; without a terminal
            // ctr returns after Start, and "task attach" reopens the task's fifos to follow its output.
            PrivateContainerd.Result restore = containerd.ctr(null, "containers", "restore", "--live", id, checkpoint);
            assertThat(restore.exitCode()).as(restore.stderr()).isZero();
            try (CtrRun attached = CtrRun.start(containerd, List.of("task", "attach", id))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (numbers(restore.stdout() + attached.stdout()).size() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                List<Integer> after = numbers(restore.stdout() + attached.stdout());
                System.out.printf("counter before the restore: %s; after: %s%n", before, after);
                assertThat(after)
                        .as("the restored counter's output; attach stderr: %s", attached.stderr())
                        .hasSizeGreaterThanOrEqualTo(4);
                int last = before.getLast();
                // It goes on from the saved state: not from 0, not past what the first client saw (it ran on
                // after the checkpoint), in steps of one.
                assertThat(after.getFirst())
                        .as("first number after the restore, %s before", before)
                        .isBetween(3, last);
                for (int i = 1; i < after.size(); i++) {
                    assertThat(after.get(i)).isEqualTo(after.get(i - 1) + 1);
                }
                // The VM restored from the checkpoint runs as confined as a booted one (docs/security.md).
                assertThat(VmmConfinement.assertConfined(jvmm.stateRoot())).isPositive();
                assertThat(containerd
                                .ctr(null, "task", "kill", "-s", "SIGKILL", id)
                                .exitCode())
                        .isZero();
                assertThat(attached.await(120))
                        .as("ctr stderr: %s", attached.stderr())
                        .isEqualTo(137);
            }
        } finally {
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
            containerd.ctr(null, "task", "delete", id);
            containerd.ctr(null, "containers", "delete", id);
            containerd.ctr(null, "images", "rm", checkpoint);
        }
    }

    /**
     * containerd writes a checkpoint into a directory under its TMPDIR (XDG_RUNTIME_DIR unset): a 32 MiB
     * tmpfs there cannot hold the VM's memory. The checkpoint fails naming the full file system and leaves
     * nothing there, and the container counts on (the old code left its VM paused: the counter stopped).
     */
    @Test
    void aCheckpointIntoAFullFileSystemFailsClearlyAndTheContainerRunsOn() throws Exception {
        String id = "ck-full";
        Path tmp = containerd.dir().resolve("tmp");
        try (CtrRun counter = CtrRun.start(containerd, run(id, templated, List.of(), "sh", "-c", COUNTER))) {
            awaitLine(counter, "3");
            host("mount", "-t", "tmpfs", "-o", "size=32m", "jvmm-ck-full", tmp.toString());
            PrivateContainerd.Result ck;
            try {
                ck = containerd.ctr(
                        null, "containers", "checkpoint", "--task", id, "localhost/jvmm/checkpoints/full:1");
                try (var left = Files.list(tmp)) {
                    assertThat(left.toList())
                            .as("what the failed checkpoint left in containerd's TMPDIR")
                            .isEmpty();
                }
            } finally {
                host("umount", tmp.toString());
            }
            assertThat(ck.exitCode())
                    .as("the checkpoint's exit: %s", ck.stdout())
                    .isNotZero();
            assertThat(ck.stderr()).containsPattern("file system \\(jvmm-ck-full\\) has \\d+ MiB free");
            int last = numbers(counter.stdout()).getLast();
            awaitLine(counter, String.valueOf(last + 3));
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern(id + "\\s+\\d+\\s+RUNNING");
        } finally {
            containerd.killAndRemove(id);
        }
    }

    /** A host command that must succeed within 30 s. */
    private static void host(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(String.join(" ", command))
                .isTrue();
    }

    @Test
    void aContainerOnTheShareIsRefusedWithTheReason() throws Exception {
        String id = "ck-shared";
        Path data = Files.createTempDirectory(containerd.dir(), "ck-data");
        try (CtrRun ctr = CtrRun.start(
                containerd,
                run(
                        id,
                        null, // the default configuration: a bind mount keeps the share
                        List.of("--mount", "type=bind,src=" + data + ",dst=/data,options=rbind:rw"),
                        "sleep",
                        "1000"))) {
            containerd.awaitTask(id, "RUNNING", 600);
            PrivateContainerd.Result ck = containerd.ctr(null, "task", "checkpoint", id);
            assertThat(ck.exitCode()).isNotZero();
            assertThat(ck.stderr()).contains("cannot be checkpointed").contains("virtiofs share");
            assertThat(containerd.ctr(null, "task", "ls").stdout()).containsPattern(id + "\\s+\\d+\\s+RUNNING");
        } finally {
            containerd.killAndRemove(id);
        }
    }

    /** {@code ctr run} of {@code id} with {@code config} (null: the runtime's default configuration). */
    private static List<String> run(String id, Path config, List<String> flags, String... command) {
        List<String> args =
                new ArrayList<>(List.of("run", "--snapshotter", "native", "--runtime", JvmmRuntime.RUNTIME));
        if (config != null) {
            args.addAll(List.of("--runtime-config-path", config.toString()));
        }
        args.addAll(flags);
        args.addAll(List.of(PrivateContainerd.IMAGE, id));
        args.addAll(List.of(command));
        return args;
    }

    private static List<Integer> numbers(String output) {
        return output.lines()
                .filter(l -> l.matches("\\d+"))
                .map(Integer::parseInt)
                .toList();
    }

    private static void awaitLine(CtrRun ctr, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (ctr.stdout().lines().noneMatch(l -> l.contains(line)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(ctr.stdout())
                .as("waiting for \"%s\"; stderr: %s", line, ctr.stderr())
                .contains(line);
    }
}
