package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jvmm.e2e.Leftovers;
import io.jvmm.vmm.CgroupLeaf;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The VM's processes must not outlive the process that owns them, even when it is killed with SIGKILL. */
class ShimDeathTest {
    @Test
    void monitorAndHelpersDieWhenTheOwnerIsKilled() throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Process owner = new ProcessBuilder(
                        javaBin,
                        "--enable-native-access=ALL-UNNAMED",
                        "-Djvmm.repo.root=" + System.getProperty("jvmm.repo.root", ""),
                        "-cp",
                        System.getProperty("java.class.path"),
                        VmHolder.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Path stateDir = null;
        Path shareDir = null;
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith("STARTED "));
            assertThat(line).as("the owner started a VM").isNotNull();
            String[] parts = line.split(" ");
            long qemuPid = Long.parseLong(parts[1]);
            stateDir = Path.of(parts[2]);
            shareDir = Path.of(parts[3]);
            List<ProcessHandle> vmProcesses = Leftovers.processesMentioning(stateDir.toString());
            assertThat(vmProcesses)
                    .extracting(ProcessHandle::pid)
                    .contains(qemuPid)
                    .hasSizeGreaterThanOrEqualTo(3);

            owner.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup code runs
            owner.waitFor(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> vmProcesses.stream().noneMatch(ProcessHandle::isAlive));
        } finally {
            owner.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            // The owner died without cleaning up (its VM's cgroup leaf included): that is this test's job.
            if (stateDir != null) {
                CgroupLeaf.ofVm(stateDir).ifPresent(CgroupLeaf::close);
                TestVm.deleteTree(stateDir);
            }
            if (shareDir != null) {
                TestVm.deleteTree(shareDir);
                assertThat(shareDir).doesNotExist();
            }
        }
    }
}
