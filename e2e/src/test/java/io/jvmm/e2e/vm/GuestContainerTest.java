package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.agent.client.StdioStream;
import io.jvmm.api.agent.v1.PingResponse;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.api.agent.v1.WaitProcessResponse;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Containers run by crun in a real QEMU guest, driven through the agent over hybrid vsock. One VM for the class. */
class GuestContainerTest {
    private static final StdioSpec OUT_ERR =
            StdioSpec.newBuilder().setStdout(true).setStderr(true).build();
    private static TestVm vm;

    @BeforeAll
    static void boot() throws Exception {
        vm = TestVm.boot();
    }

    @AfterAll
    static void shutdown() {
        if (vm != null) {
            List<Long> before = List.of(vm.vm.monitorPid());
            vm.close();
            assertThat(vm.leftoverProcesses()).as("processes left behind").isEmpty();
            assertThat(before.stream()
                            .map(ProcessHandle::of)
                            .filter(p -> p.isPresent() && p.get().isAlive()))
                    .isEmpty();
            assertThat(vm.stateDir).doesNotExist();
        }
    }

    @Test
    void agentAnswersWithTheGuestsIdentity() {
        PingResponse ping = vm.agent.ping(Duration.ofSeconds(10));
        assertThat(ping.getAgentVersion()).isNotEmpty();
        assertThat(ping.getBootId())
                .as("never read by the agent: clones must each make their own")
                .isEmpty();
        assertThat(ping.getKernelRelease()).endsWith("cloud-amd64");
    }

    @Test
    void theGuestDrawsEntropyFromTheHostsVirtioRng() throws Exception {
        String rootfs = vm.rootfs("rng");
        byte[] spec = OciSpec.config("rng", rootfs, List.of("cat", "/sys/devices/virtual/misc/hw_random/rng_current"));
        vm.agent.createContainer("rng", "", spec, OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "rng", ""));
        OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "rng", ""));
        vm.agent.startContainer("rng");
        assertThat(vm.agent.waitProcess("rng", "", Duration.ofSeconds(60)).getExitStatus())
                .isZero();
        assertThat(out.text()).startsWith("virtio_rng");
        vm.agent.deleteContainer("rng");
    }

    @Test
    void theHostSetsTheGuestsClockHostnameAndEntropy() throws Exception {
        long hostNow = System.currentTimeMillis() * 1_000_000L
                + 1_000_000_000L * 3600 * 24 * 365; // a year ahead: unmistakable
        byte[] entropy = new byte[64];
        new SecureRandom().nextBytes(entropy);
        vm.agent.setupGuest(hostNow, "sandbox-42", entropy);
        String rootfs = vm.rootfs("whoami");
        // No hostname in the spec: the container's UTS namespace starts as a copy of the guest's.
        vm.agent.createContainer(
                "whoami",
                "",
                OciSpec.config("whoami", rootfs, List.of("sh", "-c", "hostname; date +%s"), false),
                OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "whoami", ""));
        OutputCollector err = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "whoami", ""));
        vm.agent.startContainer("whoami");
        assertThat(vm.agent.waitProcess("whoami", "", Duration.ofSeconds(60)).getExitStatus())
                .as(err.text())
                .isZero();
        String[] lines = out.text().split("\n");
        assertThat(lines[0]).isEqualTo("sandbox-42");
        long guestSeconds = Long.parseLong(lines[1]);
        assertThat(guestSeconds).isBetween(hostNow / 1_000_000_000L - 5, hostNow / 1_000_000_000L + 120);
        vm.agent.deleteContainer("whoami");
        vm.agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "jvmm-guest", new byte[0]);
    }

    @Test
    void busyboxWritesToStdoutAndStderrAndExitsSeven() throws Exception {
        String rootfs = vm.rootfs("c7");
        vm.agent.createContainer(
                "c7",
                "",
                OciSpec.config("c7", rootfs, List.of("sh", "-c", "echo hello from the guest; echo oops >&2; exit 7")),
                OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "c7", ""));
        OutputCollector err = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "c7", ""));
        vm.agent.startContainer("c7");
        WaitProcessResponse exit = vm.agent.waitProcess("c7", "", Duration.ofSeconds(120));
        assertThat(exit.getExitStatus()).isEqualTo(7);
        assertThat(out.text()).isEqualTo("hello from the guest\n");
        assertThat(err.text()).isEqualTo("oops\n");
        vm.agent.deleteContainer("c7");
    }

    @Test
    void execRunsInsideARunningContainerAndSignalsMapTo128PlusN() throws Exception {
        String rootfs = vm.rootfs("sleeper");
        vm.agent.createContainer(
                "sleeper",
                "",
                OciSpec.config("sleeper", rootfs, List.of("sleep", "1000")),
                StdioSpec.getDefaultInstance());
        vm.agent.startContainer("sleeper");

        vm.agent.exec(
                "sleeper",
                "e1",
                OciSpec.processJson(List.of("sh", "-c", "echo from exec $(hostname); exit 3")),
                OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "sleeper", "e1"));
        OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "sleeper", "e1"));
        assertThat(vm.agent.waitProcess("sleeper", "e1", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(3);
        assertThat(out.text()).isEqualTo("from exec sleeper\n");

        vm.agent.exec("sleeper", "e2", OciSpec.processJson(List.of("sleep", "1000")), StdioSpec.getDefaultInstance());
        assertThat(vm.agent.listProcesses("sleeper")).hasSizeGreaterThanOrEqualTo(2);
        vm.agent.signal("sleeper", "e2", 15, false);
        assertThat(vm.agent.waitProcess("sleeper", "e2", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(128 + 15);

        vm.agent.signal("sleeper", "", 9, false);
        assertThat(vm.agent.waitProcess("sleeper", "", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(128 + 9);
        assertThatThrownBy(() -> vm.agent.signal("sleeper", "", 9, false))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_FOUND));
        vm.agent.deleteContainer("sleeper");
    }

    @Test
    void anExecIdIsFreeAgainOnceTheExecIsDeleted() throws Exception {
        startSleeper("reuse");
        vm.agent.exec(
                "reuse", "probe", OciSpec.processJson(List.of("sh", "-c", "exit 4")), StdioSpec.getDefaultInstance());
        assertThat(vm.agent
                        .waitProcess("reuse", "probe", Duration.ofSeconds(60))
                        .getExitStatus())
                .isEqualTo(4);
        vm.agent.deleteProcess("reuse", "probe");
        vm.agent.exec("reuse", "probe", OciSpec.processJson(List.of("sleep", "1000")), StdioSpec.getDefaultInstance());

        assertThatThrownBy(() -> vm.agent.deleteProcess("reuse", "probe"))
                .as("still running")
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION));
        assertThatThrownBy(() -> vm.agent.deleteProcess("reuse", "never"))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_FOUND));
        assertThatThrownBy(() -> vm.agent.deleteProcess("reuse", ""))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
        killAndDelete("reuse");
    }

    /**
     * {@code crun exec} forks the process into the container's PID namespace from outside it, so when the
     * exec fails (here: no such program; in the wild also an exec caught by the container's SIGKILL) the
     * forked process is left to the agent, which adopted it. Until it is reaped the kernel does not let
     * the container's init finish dying: the container's exit would never be reported.
     */
    @Test
    void aFailedExecLeavesNothingThatHoldsBackTheContainersExit() throws Exception {
        startSleeper("failexec");
        assertThatThrownBy(() -> vm.agent.exec(
                        "failexec",
                        "missing",
                        OciSpec.processJson(List.of("/no/such/program")),
                        StdioSpec.getDefaultInstance()))
                .hasMessageContaining("no/such/program");

        killAndDelete("failexec");
    }

    /** A started container whose init sleeps, without stdio. */
    private static void startSleeper(String id) throws Exception {
        vm.agent.createContainer(
                id, "", OciSpec.config(id, vm.rootfs(id), List.of("sleep", "1000")), StdioSpec.getDefaultInstance());
        vm.agent.startContainer(id);
    }

    /** SIGKILL to the init, its exit reported as 128 + 9 within a minute, the container deleted. */
    private static void killAndDelete(String id) {
        vm.agent.signal(id, "", 9, false);
        assertThat(vm.agent.waitProcess(id, "", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(128 + 9);
        vm.agent.deleteContainer(id);
    }

    @Test
    void stdinIsPipedInAndItsEndIsSeen() throws Exception {
        String rootfs = vm.rootfs("cat");
        vm.agent.createContainer(
                "cat",
                "",
                OciSpec.config("cat", rootfs, List.of("sh", "-c", "cat; echo done")),
                OUT_ERR.toBuilder().setStdin(true).build());
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "cat", ""));
        OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "cat", ""));
        StdioStream in = vm.agent.openStdio(StdioStream.Kind.STDIN, "cat", "");
        vm.agent.startContainer("cat");
        in.output().write("line one\nline two\n".getBytes(StandardCharsets.UTF_8));
        in.closeOutput();
        assertThat(vm.agent.waitProcess("cat", "", Duration.ofSeconds(60)).getExitStatus())
                .isZero();
        assertThat(out.text()).isEqualTo("line one\nline two\ndone\n");
        in.close();
        vm.agent.deleteContainer("cat");
    }

    @Test
    void aTerminalCarriesInputAndOutputAndTakesItsSize() throws Exception {
        String rootfs = vm.rootfs("tty");
        vm.agent.createContainer(
                "tty",
                "",
                OciSpec.terminalConfig("tty", rootfs, List.of("sh")),
                StdioSpec.newBuilder()
                        .setStdin(true)
                        .setStdout(true)
                        .setTerminal(true)
                        .build());
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "tty", ""));
        StdioStream in = vm.agent.openStdio(StdioStream.Kind.STDIN, "tty", "");
        vm.agent.resizePty("tty", "", 100, 40);
        vm.agent.startContainer("tty");
        in.output().write("tty; stty size; echo the-end; exit 3\n".getBytes(StandardCharsets.UTF_8));
        assertThat(vm.agent.waitProcess("tty", "", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(3);
        String text = out.text();
        assertThat(text).contains("/dev/").contains("40 100").contains("the-end\r\n");
        assertThatThrownBy(() -> vm.agent.resizePty("tty", "", 0, 10))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
        in.close();
        vm.agent.deleteContainer("tty");
    }

    @Test
    void fiftyMebibytesOfStdoutArriveWhole() throws Exception {
        long size = 50L << 20;
        String rootfs = vm.rootfs("flood");
        vm.agent.createContainer(
                "flood",
                "",
                OciSpec.config("flood", rootfs, List.of("sh", "-c", "yes abcdefghij | head -c " + size)),
                OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "flood", ""));
        OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "flood", ""));
        vm.agent.startContainer("flood");
        assertThat(vm.agent.waitProcess("flood", "", Duration.ofSeconds(240)).getExitStatus())
                .isZero();
        assertThat(out.awaitEnd()).isEqualTo(size);
        assertThat(out.sha256Hex()).isEqualTo(expectedYesSha256(size));
        vm.agent.deleteContainer("flood");
    }

    private static String expectedYesSha256(long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] line = "abcdefghij\n".getBytes(StandardCharsets.US_ASCII);
        byte[] block = new byte[line.length * 4096];
        for (int i = 0; i < 4096; i++) {
            System.arraycopy(line, 0, block, i * line.length, line.length);
        }
        long left = size;
        while (left > 0) {
            int n = (int) Math.min(block.length, left);
            sha.update(block, 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void statsComeFromTheContainersCgroupAndOomKillsAreReported() throws Exception {
        var events = vm.agent.events();
        String rootfs = vm.rootfs("hog");
        long limit = 24L << 20;
        // dd's 64 MiB buffer cannot fit in 24 MiB: the kernel's OOM killer ends it.
        vm.agent.createContainer(
                "hog",
                "",
                OciSpec.config(
                        "hog",
                        rootfs,
                        List.of("sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1"),
                        true,
                        limit),
                StdioSpec.getDefaultInstance());
        vm.agent.startContainer("hog");
        var stats = vm.agent.stats("hog");
        assertThat(stats.getMemoryLimit()).isEqualTo(limit);
        assertThat(stats.getPidsCurrent()).isPositive();
        assertThat(stats.getMemoryUsage()).isPositive();
        var event = events.receive().orElseThrow();
        assertThat(event.getContainerId()).isEqualTo("hog");
        assertThat(event.getOom().getOomKills()).isEqualTo(1);
        assertThat(vm.agent.waitProcess("hog", "", Duration.ofSeconds(60)).getExitStatus())
                .isEqualTo(128 + 9);
        assertThat(vm.agent.stats("hog").getMemoryOomKills()).isEqualTo(1);
        assertThat(vm.agent.stats("hog").getCpuUsageUsec()).isPositive();
        events.cancel();
        vm.agent.deleteContainer("hog");
    }

    @Test
    void badRequestsGetClearStatuses() throws Exception {
        assertThatThrownBy(
                        () -> vm.agent.createContainer("../escape", "", "{}".getBytes(StandardCharsets.UTF_8), OUT_ERR))
                .isInstanceOfSatisfying(TtrpcException.class, e -> {
                    assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("container id \"../escape\" is invalid");
                });
        assertThatThrownBy(() -> vm.agent.startContainer("nosuch"))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.NOT_FOUND));
        assertThatThrownBy(() ->
                        vm.agent.createContainer("broken", "", "{not json".getBytes(StandardCharsets.UTF_8), OUT_ERR))
                .isInstanceOfSatisfying(TtrpcException.class, e -> {
                    assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION);
                    assertThat(e.getMessage()).contains("crun create failed");
                });
        String rootfs = vm.rootfs("twice");
        byte[] spec = OciSpec.config("twice", rootfs, List.of("true"));
        vm.agent.createContainer("twice", "", spec, StdioSpec.getDefaultInstance());
        assertThatThrownBy(() -> vm.agent.createContainer("twice", "", spec, StdioSpec.getDefaultInstance()))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.ALREADY_EXISTS));
        assertThatThrownBy(() -> vm.agent.exec(
                        "twice", "e1", OciSpec.processJson(List.of("true")), StdioSpec.getDefaultInstance()))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION));
        vm.agent.deleteContainer("twice");
        // After all that, the agent still serves.
        assertThat(vm.agent.ping(Duration.ofSeconds(10)).getAgentVersion()).isNotEmpty();
    }
}
