package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Faults of the host's side of a sandbox while its containers run, through a real containerd: the shim
 * server killed or told to stop, a helper of the VM killed, the guest's kernel panicking. Each ends in a
 * stated time with the task reported and nothing left on the host (no VM process, sandbox state or mount).
 */
@WithPrivateContainerd
class FaultTest {
    private static final String JVMM = JvmmRuntime.RUNTIME;
    private static final long TIMEOUT = 240;
    /** How long the shim waits for its cleanup after SIGTERM before the JVM halts (ShimServer). */
    private static final double SIGTERM_GRACE_S = 25;

    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private final List<String> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (String id : started.reversed()) {
            containerd.ctr(null, "task", "kill", "-s", "SIGKILL", id);
            containerd.ctr(null, "task", "delete", "--force", id);
            containerd.ctr(null, "containers", "delete", id);
        }
    }

    /**
     * SIGTERM to the shim server while the guest holds a second container's Create (for minutes): the shim
     * still stops its VM and removes the sandbox well inside its grace. The old code's cleanup waited for
     * the lock the Create held, until the JVM halted at the end of the grace, leaving the sandbox behind.
     */
    @Test
    void aShimSigtermedWhileTheGuestHoldsACreateCleansUpWithinItsGrace() throws Exception {
        Path config = configWith("slow-create");
        List<String> inGroup = List.of("--annotation", "io.containerd.jvmm.v2.group=fault-term");
        PrivateContainerd.Result first = runDetached("f-first", config, inGroup, "sleep", "1000");
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        containerd.awaitTask("f-first", "RUNNING", TIMEOUT);
        started.add("slow-second");
        try (CtrRun slow = CtrRun.start(containerd, runArgs("slow-second", config, inGroup, "sleep", "1000"))) {
            jvmm.awaitConsole("jvmm-hostile: holding CreateContainer of slow-second", TIMEOUT);
            ProcessHandle shim = shimOf("f-first");

            long t0 = System.nanoTime();
            signal("TERM", shim.pid());
            shim.onExit().get(60, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("FaultTest: the shim ended %.1f s after SIGTERM%n", seconds);

            assertThat(seconds)
                    .as("the shim's exit after SIGTERM, against its %s s grace", SIGTERM_GRACE_S)
                    .isLessThan(SIGTERM_GRACE_S - 5);
            assertThat(slow.await(TIMEOUT)).as("the held create fails").isNotZero();
        }
        assertThat(awaitNothingLeft()).isEmpty();
    }

    /**
     * The client goes away in the middle of a run (ctr SIGKILLed while the guest holds its Create):
     * containerd cleans up after the failed Create (Delete, which finds the id still being created, then
     * Shutdown, then it closes the connection and removes the bundle). The shim gives that Create up, stops
     * its VM and exits; nothing is left. Before, the Delete answered NOT_FOUND without giving the Create up,
     * the Shutdown was ignored while it ran, and the shim and its VM ran on after containerd had forgotten
     * them (the 1000-run soak's one leaked run).
     */
    @Test
    void aRunWhoseClientIsKilledDuringTheCreateLeavesNothing() throws Exception {
        String id = "slow-client";
        started.add(id);
        ProcessHandle shim;
        try (CtrRun ctr =
                CtrRun.start(containerd, runArgs(id, configWith("slow-create"), List.of(), "sleep", "1000"))) {
            jvmm.awaitConsole("jvmm-hostile: holding CreateContainer of " + id, TIMEOUT);
            shim = shimOf(id);
            ctr.kill();
        }
        long t0 = System.nanoTime();
        shim.onExit().get(60, TimeUnit.SECONDS);
        System.out.printf(
                "FaultTest: the shim ended %.1f s after its client was killed%n", (System.nanoTime() - t0) / 1e9);
        assertThat(awaitNothingLeft()).isEmpty();
        assertThat(containerd.bundle("default", id)).as("the task's bundle").doesNotExist();
        assertThat(containerd.ctr(null, "task", "ls").stdout()).doesNotContain(id);
    }

    /**
     * virtiofsd (the containers' files) killed: the VM is stopped and the task exits 137, with the reason in
     * the shim's log. The old code watched only QEMU: the task ran on with its files failing.
     */
    @Test
    void aKilledVirtiofsdStopsTheVmAndTheTaskExits137() throws Exception {
        helperKilledEndsTheTask("f-fs", "virtiofsd");
    }

    /** vhost-device-vsock (the agent's channel) killed: the same. */
    @Test
    void aKilledVsockHelperStopsTheVmAndTheTaskExits137() throws Exception {
        helperKilledEndsTheTask("f-vsock", "vhost-device-vsock");
    }

    /**
     * A lone container's VM has no helper by default (its root a disk, its agent over a serial port):
     * these run with loneRootDisk off, which gives it the share and vsock as a container with binds has.
     */
    private void helperKilledEndsTheTask(String id, String helper) throws Exception {
        started.add(id);
        Path config = containerd.dir().resolve("fault-share.json");
        Files.writeString(config, jvmm.configWith(Map.of("loneRootDisk", false)));
        try (CtrRun ctr = CtrRun.start(containerd, runArgs(id, config, List.of(), "sleep", "1000"))) {
            containerd.awaitTask(id, "RUNNING", TIMEOUT);
            List<ProcessHandle> helpers = Leftovers.processesMentioning(
                            jvmm.stateRoot().toString())
                    .stream()
                    .filter(p -> p.info().command().orElse("").endsWith(helper))
                    .toList();
            assertThat(helpers).as("%s processes of the sandbox", helper).isNotEmpty();

            long t0 = System.nanoTime();
            helpers.forEach(ProcessHandle::destroyForcibly);
            assertThat(ctr.await(TIMEOUT)).as(ctr.stderr()).isEqualTo(137);
            System.out.printf(
                    "FaultTest: %s killed, the task exited %.1f s later%n", helper, (System.nanoTime() - t0) / 1e9);
        }
        assertThat(Files.readString(containerd.dir().resolve("containerd.log")))
                .as("the shim's log names the helper and what it did")
                .containsPattern(helper + " \\(pid \\d+\\) exited with -?\\d+ while VM \\S+ runs");
        assertThat(awaitNothingLeft()).isEmpty();
    }

    /** The guest's kernel panics (sysrq from a privileged container): QEMU ends, the task exits 137. */
    @Test
    void aGuestKernelPanicEndsTheTaskWith137() throws Exception {
        String id = "f-panic";
        started.add(id);
        List<String> args = new ArrayList<>(List.of(
                "run", "--rm", "--privileged", "--snapshotter", "native", "--runtime", JVMM, PrivateContainerd.IMAGE));
        args.addAll(List.of(id, "sh", "-c", "echo up; sleep 1; echo c > /proc/sysrq-trigger; sleep 1000"));
        try (CtrRun ctr = CtrRun.start(containerd, args)) {
            assertThat(ctr.await(TIMEOUT)).as(ctr.stdout() + ctr.stderr()).isEqualTo(137);
            assertThat(ctr.stdout()).startsWith("up\n");
        }
        assertThat(awaitNothingLeft()).isEmpty();
    }

    /**
     * The shim server SIGKILLed (no cleanup of its own runs): containerd cleans up after the dead shim (the
     * shim binary's delete action) and drops the task; no VM process, sandbox state or mount is left.
     */
    @Test
    void aSigkilledShimLeavesNothingOnceContainerdDeletesTheTask() throws Exception {
        String id = "f-shimkill";
        PrivateContainerd.Result run = runDetached(id, null, List.of(), "sleep", "1000");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        containerd.awaitTask(id, "RUNNING", TIMEOUT);
        ProcessHandle shim = shimOf(id);

        shim.destroyForcibly();
        shim.onExit().get(30, TimeUnit.SECONDS);
        // containerd 2.1 sees the shim's connection close, runs the delete action and drops the task itself.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (containerd.ctr(null, "task", "ls").stdout().contains(id)) {
            assertThat(System.nanoTime()).as("task %s still listed", id).isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(containerd.logLinesMentioning(id)).contains("cleaning up dead shim");
        assertThat(awaitNothingLeft()).isEmpty();
    }

    /**
     * containerd SIGKILLed while the first Create boots the VM, then started again: it finds no task in the
     * shim and cleans the shim up (Delete, Shutdown; containerd#6860). The Create is undone when the guest
     * answers and the shim exits: no shim, VM or sandbox state is left. Before, the Shutdown waited for the
     * Create and was then ignored: the shim and its VM ran on with a container containerd did not know.
     */
    @Test
    void containerdKilledDuringACreateLeavesNoShimOrVmOnceRestarted() throws Exception {
        String id = "f-ctdkill";
        started.add(id);
        try (CtrRun ctr = CtrRun.start(containerd, runArgs(id, null, List.of(), "sleep", "1000"))) {
            Path pidFile = containerd.bundle("default", id).resolve("shim.pid");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(pidFile)) {
                assertThat(System.nanoTime()).as("the shim's server started").isLessThan(deadline);
                Thread.sleep(50);
            }
            ProcessHandle shim = shimOf(id);

            containerd.restart(true);

            assertThat(ctr.await(TIMEOUT)).as("ctr, whose containerd died").isNotZero();
            shim.onExit().get(TIMEOUT, TimeUnit.SECONDS);
        }
        assertThat(containerd.logLinesMentioning(id)).contains("cleaning leaked shim process");
        assertThat(Leftovers.processesMentioning(containerd.socket().toString()))
                .as("shims")
                .isEmpty();
        assertThat(awaitNothingLeft()).isEmpty();
    }

    private PrivateContainerd.Result runDetached(String id, Path config, List<String> options, String... command)
            throws Exception {
        started.add(id);
        return containerd.ctr(null, CtrArgs.array(CtrArgs.run(true, JVMM, config, options, id, command)));
    }

    private static List<String> runArgs(String id, Path config, List<String> options, String... command) {
        return CtrArgs.run(false, JVMM, config, options, id, command);
    }

    private static Path configWith(String hostile) throws Exception {
        Path config = containerd.dir().resolve("fault-" + hostile + ".json");
        Files.writeString(config, jvmm.configWith(Map.of("kernelArgs", "jvmm.hostile=" + hostile)));
        return config;
    }

    /** The shim server of task {@code id}, from the pid it records in the bundle. */
    private static ProcessHandle shimOf(String id) throws Exception {
        Path pidFile = containerd.bundle("default", id).resolve("shim.pid");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("shim " + pid + " of " + id + " is gone"));
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                .inheritIO()
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0)
                .as("kill -%s %d", name, pid)
                .isTrue();
    }

    /** Waits until a sandbox's console has said {@code line} (one sandbox runs at a time in these tests). */
    /** What is left of the sandboxes after 30 s at most: VM processes, sandbox state, mounts (empty when none). */
    private static List<String> awaitNothingLeft() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> left = jvmm.sandboxLeftovers();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            left = jvmm.sandboxLeftovers();
        }
        return left;
    }
}
