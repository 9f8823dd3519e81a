package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A VM's cgroup leaf goes with the VM even when one of its processes outlived the one the shim ended (a
 * helper's child): the soak's census found such leaves left, one for every few VMs.
 */
class CgroupLeafTest {
    @Test
    void aLeafWhoseProcessOutlivedItsParentIsEmptiedAndRemoved() throws Exception {
        Optional<CgroupLeaf> made = CgroupLeaf.create("jvmm-test-" + UUID.randomUUID());
        assumeTrue(made.isPresent(), "needs a writable cgroup2 hierarchy");
        CgroupLeaf leaf = made.get();
        Process parent = new ProcessBuilder("sh", "-c", "read go; sleep 300 & echo $!; wait").start();
        ProcessHandle child = null;
        try {
            leaf.add(parent.pid());
            try (OutputStream in = parent.getOutputStream()) {
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
            }
            String line = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            child = ProcessHandle.of(Long.parseLong(line.strip())).orElseThrow();
            parent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            assertThat(child.isAlive()).as("the child outlives its parent").isTrue();

            leaf.close();

            assertThat(leaf.path()).doesNotExist();
            assertThat(child.onExit().get(5, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (child != null) {
                child.destroyForcibly();
            }
            leaf.close();
        }
    }
}
