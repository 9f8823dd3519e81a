package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.GuestSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Containers in VMs restored from a template, through real containerd: {@code ctr run} with a runtime
 * configuration (ctr's --runtime-config-path, containerd's runtime options) that turns templates on. The
 * first run makes the template, every run after restores it; each container reads its own randomness.
 */
class TemplateTest {
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private static Path config;

    @BeforeAll
    static void start() throws Exception {
        jvmm = JvmmRuntime.get();
        containerd = PrivateContainerd.start(List.of(jvmm.binDir()));
        config = containerd.dir().resolve("jvmm-templates.json");
        Files.writeString(config, jvmm.configWith(Map.of("templates", true)));
    }

    @AfterAll
    static void nothingIsLeftBehind() throws Exception {
        if (containerd != null) {
            List<String> left = jvmm.closeAndListLeftovers(containerd);
            for (GuestSnapshot template : VmTemplates.list(jvmm.stateRoot())) {
                assertThat(template.deleteUnlessInUse()).as("no VM maps %s any more", template.dir()).isTrue();
            }
            Leftovers.deleteTree(jvmm.stateRoot().resolve("t"));
            assertThat(left).isEmpty();
        }
    }

    @Test
    void containersRestoredFromOneTemplateEachDrawTheirOwnRandomness() throws Exception {
        Set<String> random = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            PrivateContainerd.Result run = containerd.ctr(null, "run", "--rm", "--snapshotter", "native", "--runtime",
                    JvmmRuntime.RUNTIME, "--runtime-config-path", config.toString(), PrivateContainerd.IMAGE, "tpl-" + i,
                    "sh", "-c", "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'");
            assertThat(run.exitCode()).as(run.stderr()).isZero();
            assertThat(run.stdout()).matches("[0-9a-f]{32}");
            random.add(run.stdout());
        }
        assertThat(random).as("16 bytes of /dev/urandom from each container").hasSize(3);
        // Made only on the template path (VmSandbox restores every VM of this configuration from it).
        assertThat(VmTemplates.list(jvmm.stateRoot())).as("one template, made by the first run").hasSize(1);
    }
}
