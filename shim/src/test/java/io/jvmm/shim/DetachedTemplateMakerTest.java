package io.jvmm.shim;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmmType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DetachedTemplateMakerTest {
    @Test
    void theMakerRunsThisBinaryNicedInASessionOfItsOwnWithTheSandboxsSizeAndKernelArguments() {
        SandboxSettings settings = new SandboxSettings(
                VmmType.QEMU,
                Path.of("/k"),
                Path.of("/i"),
                Optional.empty(),
                1,
                512,
                Accel.TCG,
                Path.of("/run/jvmm"),
                Duration.ofSeconds(60),
                "quiet loglevel=3",
                true);
        List<String> command = new DetachedTemplateMaker(Path.of("/etc/jvmm/config.json"), List.of("/usr/bin/shim"))
                .command(settings, new VmSize(2, 1280));
        assertThat(command)
                .containsExactly(
                        "setsid",
                        "-f",
                        "nice",
                        "-n",
                        "19",
                        "/usr/bin/shim",
                        "templates",
                        "make",
                        "--background",
                        "--vcpus",
                        "2",
                        "--memory-mib",
                        "1280",
                        "--kernel-args",
                        "quiet loglevel=3");
    }
}
