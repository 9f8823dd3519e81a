package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.agent.client.StdioStream;
import io.jvmm.api.agent.v1.PingResponse;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.api.agent.v1.WaitProcessResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Containers run by crun in a real QEMU guest, driven through the agent over hybrid vsock. One VM for the class. */
class GuestContainerTest {
    private static final StdioSpec OUT_ERR = StdioSpec.newBuilder().setStdout(true).setStderr(true).build();
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
            assertThat(before.stream().map(ProcessHandle::of).filter(p -> p.isPresent() && p.get().isAlive())).isEmpty();
            assertThat(vm.stateDir).doesNotExist();
        }
    }

    @Test
    void agentAnswersWithTheGuestsIdentity() {
        PingResponse ping = vm.agent.ping(Duration.ofSeconds(10));
        assertThat(ping.getAgentVersion()).isNotEmpty();
        assertThat(ping.getBootId()).matches("[0-9a-f-]{36}");
        assertThat(ping.getKernelRelease()).endsWith("cloud-amd64");
    }

    @Test
    void busyboxWritesToStdoutAndStderrAndExitsSeven() throws Exception {
        String rootfs = vm.rootfs("c7");
        vm.agent.createContainer("c7", "", OciSpec.config("c7", rootfs,
                List.of("sh", "-c", "echo hello from the guest; echo oops >&2; exit 7")), OUT_ERR);
        OutputCollector out = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDOUT, "c7", ""));
        OutputCollector err = OutputCollector.of(vm.agent.openStdio(StdioStream.Kind.STDERR, "c7", ""));
        vm.agent.startContainer("c7");
        WaitProcessResponse exit = vm.agent.waitProcess("c7", "", Duration.ofSeconds(120));
        assertThat(exit.getExitStatus()).isEqualTo(7);
        assertThat(out.text()).isEqualTo("hello from the guest\n");
        assertThat(err.text()).isEqualTo("oops\n");
        vm.agent.deleteContainer("c7");
    }
}
