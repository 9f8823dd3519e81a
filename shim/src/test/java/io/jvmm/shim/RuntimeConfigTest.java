package io.jvmm.shim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.sandbox.TemplateLimits;
import io.jvmm.task.sandbox.VmAnnotations;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmmType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeConfigTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        return Files.writeString(dir.resolve("config.json"), json);
    }

    @Test
    void readsTheInstalledFormAndFillsDefaults() throws IOException {
        RuntimeConfig config = RuntimeConfig.load(write("""
                {"vmm": "qemu", "kernel": "/k", "initrd": "/i", "runtimeDisk": "/r", "vcpus": 2, "memoryMib": 1024,
                 "accel": "tcg", "stateRoot": "/run/x", "bootTimeoutSeconds": 60, "templates": true, "hugePages": false,
                 "cpuModel": "Nehalem"}"""));
        var settings = config.settings();
        assertThat(settings.vmm()).isEqualTo(VmmType.QEMU);
        assertThat(settings.vcpus()).isEqualTo(2);
        assertThat(settings.memoryMib()).isEqualTo(1024);
        assertThat(settings.accel()).isEqualTo(Accel.TCG);
        assertThat(settings.bootTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.templates()).isTrue();
        assertThat(settings.cpuModel()).contains("Nehalem");
        assertThat(config.stateRootPath()).isEqualTo(Path.of("/run/x"));

        var minimal = RuntimeConfig.load(write("{\"kernel\": \"/k\", \"initrd\": \"/i\"}"))
                .settings();
        assertThat(minimal.vcpus()).isEqualTo(1);
        assertThat(minimal.memoryMib()).isEqualTo(512);
        assertThat(minimal.accel()).isEqualTo(Accel.AUTO);
        assertThat(minimal.templates()).isFalse();
        assertThat(minimal.cpuModel()).isEmpty();
    }

    @Test
    void perPodAnnotationsAreOffUnlessListedAndAnUnknownSettingIsAnError() throws IOException {
        assertThat(RuntimeConfig.load(write("{\"kernel\": \"/k\", \"initrd\": \"/i\"}"))
                        .settings()
                        .enabledAnnotations())
                .isEmpty();
        assertThat(RuntimeConfig.load(
                                write(
                                        "{\"kernel\": \"/k\", \"initrd\": \"/i\", \"enableAnnotations\": [\"vcpus\", \"kernel-params\"]}"))
                        .settings()
                        .enabledAnnotations())
                .containsExactlyInAnyOrder(VmAnnotations.Setting.VCPUS, VmAnnotations.Setting.KERNEL_PARAMS);
        RuntimeConfig typo = RuntimeConfig.load(
                write("{\"kernel\": \"/k\", \"initrd\": \"/i\", \"enableAnnotations\": [\"default_vcpus\"]}"));
        assertThatThrownBy(typo::settings)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default_vcpus")
                .hasMessageContaining("known: vcpus, memory-mib, templates, kernel-params");
    }

    @Test
    void metricsAreOnUnlessTurnedOff() throws IOException {
        assertThat(RuntimeConfig.load(write("{\"kernel\": \"/k\", \"initrd\": \"/i\"}"))
                        .metricsOn())
                .isTrue();
        assertThat(RuntimeConfig.load(write("{\"kernel\": \"/k\", \"initrd\": \"/i\", \"metrics\": false}"))
                        .metricsOn())
                .isFalse();
    }

    @Test
    void templateLimitsAreReadAndAbsentMeansNone() throws IOException {
        assertThat(RuntimeConfig.load(write("{\"kernel\": \"/k\", \"initrd\": \"/i\"}"))
                        .settings()
                        .templateLimits())
                .isEqualTo(TemplateLimits.NONE);
        assertThat(RuntimeConfig.load(
                                write(
                                        "{\"kernel\": \"/k\", \"initrd\": \"/i\", \"templateMaxMib\": 4096, \"templateMaxUnusedDays\": 7}"))
                        .settings()
                        .templateLimits())
                .isEqualTo(TemplateLimits.of(4096, 7));
    }

    @Test
    void aTypoIsAnErrorThatNamesTheFileTheMemberAndTheKnownOnes() throws IOException {
        Path file = write("{\"kernel\": \"/k\", \"initrd\": \"/i\", \"vcpu\": 2}");
        assertThatThrownBy(() -> RuntimeConfig.load(file))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("jvmm configuration " + file
                        + " is invalid: RuntimeConfig: unknown member vcpu (known: vmm, kernel")
                .hasMessageContaining("vcpus");
    }

    @Test
    void aWrongTypeOrBrokenJsonIsAnErrorThatSaysWhere() throws IOException {
        Path typed = write("{\"kernel\": \"/k\", \"initrd\": \"/i\", \"vcpus\": \"two\"}");
        assertThatThrownBy(() -> RuntimeConfig.load(typed))
                .isInstanceOf(IOException.class)
                .hasMessageEndingWith("is invalid: RuntimeConfig.vcpus: expected Integer, found a string");
        Path broken = write("{\"kernel\": \"/k\",");
        assertThatThrownBy(() -> RuntimeConfig.load(broken))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("jvmm configuration " + broken + " is invalid: ");
        assertThatThrownBy(() -> RuntimeConfig.load(dir.resolve("missing.json")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("does not exist");
    }
}
