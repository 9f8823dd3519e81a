package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.sandbox.SandboxKind;
import io.jvmm.task.sandbox.VmAnnotations;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pod's {@code jvmm.io/*} annotations at the Create that boots its VM (the pause-container model, lone containers). */
class PodAnnotationsTest extends TaskFixtureTest {
    private CreateTask create(String id, String annotations) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve(id));
        Files.writeString(
                bundle.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"pause\"],\"cwd\":\"/\"},"
                        + "\"root\":{\"path\":\"rootfs\"},\"annotations\":{" + annotations + "}}");
        return new CreateTask(id, bundle, List.of(), TaskServiceTest.NO_STDIO, "");
    }

    @Test
    void enabledAnnotationsOfTheSandboxContainerShapeThePodsVm() throws Exception {
        sandbox.enabledAnnotations = EnumSet.allOf(VmAnnotations.Setting.class);
        tasks.create(create(
                "pod",
                "\"io.kubernetes.cri.container-type\":\"sandbox\",\"io.kubernetes.cri.sandbox-memory\":\"1073741824\","
                        + "\"jvmm.io/vcpus\":\"2\",\"jvmm.io/memory-mib\":\"512\",\"jvmm.io/templates\":\"false\","
                        + "\"jvmm.io/kernel-params\":\"loglevel=3\""));
        // The pod's limit (1 GiB) plus the guest's overhead, over the annotation's base of 512 MiB.
        assertThat(sandbox.calls).containsExactly("mount pod", "boot 2x1280 templates=false kernel=loglevel=3");
        // A pod: its containers' binds come later, so a VM from a template gives each its own disk.
        assertThat(sandbox.bootedKind).isEqualTo(SandboxKind.POD);
    }

    @Test
    void aLoneContainersOwnAnnotationsApply() throws Exception {
        sandbox.enabledAnnotations = EnumSet.of(VmAnnotations.Setting.MEMORY_MIB);
        tasks.create(create("c1", "\"jvmm.io/memory-mib\":\"768\""));
        assertThat(sandbox.calls).containsExactly("mount c1", "boot 1x768");
        assertThat(sandbox.bootedKind).isEqualTo(SandboxKind.LONE_ROOT_ONLY);
    }

    @Test
    void aLoneContainerWithAHostBindIsToldApartFromOneWithout() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("c2"));
        Files.writeString(
                bundle.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
                        + "\"root\":{\"path\":\"rootfs\"},\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\","
                        + "\"source\":\"/srv\",\"options\":[\"rbind\",\"rw\"]}]}");
        tasks.create(new CreateTask("c2", bundle, List.of(), TaskServiceTest.NO_STDIO, ""));
        assertThat(sandbox.bootedKind).isEqualTo(SandboxKind.LONE);
    }

    @Test
    void theFirstContainerOfAGroupIsNotAlone() throws Exception {
        // Others join its VM with binds of their own: its root must not take the VM off the share.
        tasks.create(create("g1", "\"io.containerd.runc.v2.group\":\"g\""));
        assertThat(sandbox.bootedKind).isEqualTo(SandboxKind.LONE);
    }

    @Test
    void aDisabledAnnotationFailsTheCreateBeforeAnyBootAndLeavesNothing() throws Exception {
        Code code = TaskServiceTest.codeOf(() -> {
            try {
                tasks.create(create("pod", "\"io.kubernetes.cri.container-type\":\"sandbox\",\"jvmm.io/vcpus\":\"2\""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(code).isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(sandbox.calls).containsExactly("mount pod", "release pod");
        // The sandbox did not boot: a Create without the annotation still can.
        tasks.create(create("pod2", "\"io.kubernetes.cri.container-type\":\"sandbox\""));
        assertThat(sandbox.calls).contains("boot 1x256");
    }
}
