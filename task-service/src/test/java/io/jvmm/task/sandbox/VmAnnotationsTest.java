package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmmType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VmAnnotationsTest {
    private static final Set<VmAnnotations.Setting> ALL = EnumSet.allOf(VmAnnotations.Setting.class);

    private static VmOverrides parse(Map<String, String> annotations, Set<VmAnnotations.Setting> enabled) {
        return VmAnnotations.parse(annotations, enabled, 4, 8192);
    }

    private static String refusal(Map<String, String> annotations, Set<VmAnnotations.Setting> enabled) {
        try {
            parse(annotations, enabled);
        } catch (TaskException e) {
            assertThat(e.statusCode()).isEqualTo(Code.INVALID_ARGUMENT);
            return e.getMessage();
        }
        throw new AssertionError("accepted " + annotations);
    }

    @Test
    void enabledSettingsAreRead() {
        VmOverrides o = parse(
                Map.of(
                        "jvmm.io/vcpus", "2",
                        "jvmm.io/memory-mib", " 768 ",
                        "jvmm.io/templates", "False",
                        "jvmm.io/kernel-params", "  quiet   loglevel=3 ",
                        "io.kubernetes.cri.container-type", "sandbox",
                        "jvmm.io/enabled", "true"),
                ALL);
        assertThat(o)
                .isEqualTo(new VmOverrides(
                        OptionalInt.of(2), OptionalInt.of(768), Optional.of(false), Optional.of("quiet loglevel=3")));
        assertThat(o.size(new VmSize(1, 512))).isEqualTo(new VmSize(2, 768));
    }

    @Test
    void withoutJvmmAnnotationsNothingChanges() {
        assertThat(parse(Map.of("io.kubernetes.pod.name", "p", "example.com/x", "1"), Set.of()))
                .isEqualTo(VmOverrides.NONE);
        assertThat(VmOverrides.NONE.size(new VmSize(1, 512))).isEqualTo(new VmSize(1, 512));
    }

    @Test
    void aSettingTheConfigurationDoesNotEnableIsRefused() {
        assertThat(refusal(Map.of("jvmm.io/vcpus", "2"), Set.of()))
                .contains("jvmm.io/vcpus")
                .contains("not enabled")
                .contains("lists none");
        assertThat(refusal(Map.of("jvmm.io/kernel-params", "quiet"), EnumSet.of(VmAnnotations.Setting.VCPUS)))
                .contains("jvmm.io/kernel-params")
                .contains("[vcpus]");
    }

    @Test
    void anUnknownJvmmAnnotationIsRefusedNamingTheKnownOnes() {
        assertThat(refusal(Map.of("jvmm.io/vcpu", "2"), ALL))
                .contains("jvmm.io/vcpu ")
                .contains("known: vcpus, memory-mib, templates, kernel-params");
    }

    @Test
    void badValuesAreRefused() {
        assertThat(refusal(Map.of("jvmm.io/vcpus", "two"), ALL)).contains("whole number");
        assertThat(refusal(Map.of("jvmm.io/vcpus", "0"), ALL)).contains("between 1 and 4");
        assertThat(refusal(Map.of("jvmm.io/vcpus", "5"), ALL)).contains("between 1 and 4");
        assertThat(refusal(Map.of("jvmm.io/vcpus", "99999999999999999999"), ALL))
                .contains("whole number");
        assertThat(refusal(Map.of("jvmm.io/memory-mib", "128"), ALL)).contains("between 256 and 8192");
        assertThat(refusal(Map.of("jvmm.io/memory-mib", "9000"), ALL)).contains("between 256 and 8192");
        assertThat(refusal(Map.of("jvmm.io/templates", "yes"), ALL)).contains("\"true\" or \"false\"");
    }

    @Test
    void kernelParametersThatWouldTakeTheGuestFromJvmmOrEscapeTheCommandLineAreRefused() {
        for (String bad : new String[] {
            "init=/bin/sh", "rdinit=/x", "console=tty0", "jvmm.noagent", "quiet jvmm.net=10.0.0.2/24,,1500"
        }) {
            assertThat(refusal(Map.of("jvmm.io/kernel-params", bad), ALL)).contains("may not set");
        }
        for (String bad : new String[] {"a\"b", "x;reboot", "a\nb=$(id)", "'q'"}) {
            assertThat(refusal(Map.of("jvmm.io/kernel-params", bad), ALL)).contains("characters other than");
        }
        assertThat(refusal(Map.of("jvmm.io/kernel-params", "a".repeat(513)), ALL))
                .contains("longer than 512");
    }

    @Test
    void anErrorNeverEchoesControlCharactersOrLongValues() {
        String message = refusal(Map.of("jvmm.io/vcpus", "1\u001b[2J" + "x".repeat(200)), ALL);
        assertThat(message).doesNotContain("\u001b").hasSizeLessThan(200);
    }

    @Test
    void overridesChangeTheSettingsTheVmIsMadeFrom() {
        SandboxSettings s = new SandboxSettings(
                VmmType.QEMU,
                Path.of("/k"),
                Path.of("/i"),
                Optional.empty(),
                1,
                512,
                Accel.TCG,
                Path.of("/run/jvmm"),
                Duration.ofSeconds(60),
                "quiet",
                true);
        SandboxSettings t = new VmOverrides(
                        OptionalInt.of(2), OptionalInt.empty(), Optional.of(false), Optional.of("loglevel=3"))
                .applyTo(s);
        assertThat(t.vcpus()).isEqualTo(2);
        assertThat(t.memoryMib()).isEqualTo(512);
        assertThat(t.templates()).isFalse();
        assertThat(t.extraKernelArgs()).isEqualTo("quiet loglevel=3");
        assertThat(VmOverrides.NONE.applyTo(s)).isSameAs(s);
    }

    @Test
    void theAllowListNamesKnownSettingsOnly() {
        assertThat(VmAnnotations.settings(List.of("vcpus", "templates")))
                .containsExactlyInAnyOrder(VmAnnotations.Setting.VCPUS, VmAnnotations.Setting.TEMPLATES);
        assertThatThrownBy(() -> VmAnnotations.settings(List.of("default_vcpus")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default_vcpus")
                .hasMessageContaining("known:");
    }
}
