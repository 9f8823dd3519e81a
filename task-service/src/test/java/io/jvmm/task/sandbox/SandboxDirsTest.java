package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmm.vmm.CgroupLeaf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dead shim's delete removes what its sandbox left from the sandbox's record: the state directory and
 * the VM's cgroup leaf. The old cleanup left the leaf (found by FaultTest's census after a SIGKILLed shim).
 */
class SandboxDirsTest {
    @Test
    void cleanUpRemovesTheRecordedCgroupLeafAndTheState(@TempDir Path root) throws Exception {
        Optional<CgroupLeaf> leaf = CgroupLeaf.create("jvmm-test-" + UUID.randomUUID());
        assumeTrue(leaf.isPresent(), "needs a writable cgroup2 hierarchy");
        try {
            Path stateDir = Files.createDirectories(root.resolve("s/abc"));
            new SandboxRecord(
                            ProcessHandle.current().pid(),
                            List.of(),
                            leaf.get().path().toString())
                    .write(stateDir);

            SandboxDirs.cleanUp(stateDir);

            assertThat(leaf.get().path()).doesNotExist();
            assertThat(stateDir).doesNotExist();
        } finally {
            leaf.get().close();
        }
    }

    @Test
    void aRecordedCgroupOutsideTheHierarchyOrNotAVmLeafIsNotTouched(@TempDir Path dir) throws Exception {
        Path notCgroup = Files.createDirectories(dir.resolve("jvmm-not-a-cgroup"));
        assertThat(CgroupLeaf.recorded(notCgroup)).isEmpty();
        assertThat(CgroupLeaf.recorded(Path.of("/sys/fs/cgroup/unified"))).isEmpty();
        assertThat(notCgroup).exists();
    }
}
