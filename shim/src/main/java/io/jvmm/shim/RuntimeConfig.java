package io.jvmm.shim;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonRecords;
import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.TemplateLimits;
import io.jvmm.task.sandbox.VmAnnotations;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmmType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The runtime's configuration file (JSON; the {@code ConfigPath} of containerd's runtime options, else
 * {@code $JVMM_CONFIG}, else /etc/jvmm/config.json): the guest
 * image and VM defaults for every sandbox. Unknown keys are errors, so a typo never goes unnoticed.
 */
public record RuntimeConfig(
        String vmm,
        String kernel,
        String initrd,
        String runtimeDisk,
        Integer vcpus,
        Integer memoryMib,
        String accel,
        String stateRoot,
        Integer bootTimeoutSeconds,
        String kernelArgs,
        Boolean templates,
        Boolean hugePages,
        String cpuModel,
        String vmmUser,
        List<String> enableAnnotations,
        Integer templateMaxMib,
        Integer templateMaxUnusedDays,
        Boolean loneRootDisk,
        Boolean metrics) {
    /** The VMM's user when the configuration names none; {@code ""} runs it as root. */
    public static final String DEFAULT_VMM_USER = "jvmm-vmm";

    public static final Path DEFAULT_PATH = Path.of("/etc/jvmm/config.json");

    /** The file in a bundle where {@code start} notes the configuration containerd's runtime options named. */
    public static final String BUNDLE_NOTE = "jvmm-config";

    public static Path location() {
        String env = System.getenv("JVMM_CONFIG");
        return env == null || env.isEmpty() ? DEFAULT_PATH : Path.of(env);
    }

    /**
     * The configuration for the sandbox of {@code bundle}: the one containerd's runtime options named (noted
     * in the bundle by {@code start}), else {@link #location()}.
     */
    public static Path location(Path bundle) throws IOException {
        Path note = bundle.resolve(BUNDLE_NOTE);
        return Files.isRegularFile(note) ? Path.of(Files.readString(note).strip()) : location();
    }

    public static RuntimeConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("jvmm configuration " + file + " does not exist (packaging/install.sh writes it)");
        }
        try {
            return JsonRecords.read(Json.parse(file), RuntimeConfig.class);
        } catch (IOException e) {
            throw new IOException("jvmm configuration " + file + " is invalid: " + e.getMessage(), e);
        }
    }

    public Path stateRootPath() {
        return Path.of(stateRoot == null ? "/run/jvmm" : stateRoot);
    }

    public SandboxSettings settings() {
        if (kernel == null || initrd == null) {
            throw new IllegalArgumentException("jvmm configuration needs \"kernel\" and \"initrd\"");
        }
        return new SandboxSettings(
                VmmType.valueOf(
                        (vmm == null ? "qemu" : vmm).toUpperCase(Locale.ROOT).replace('-', '_')),
                Path.of(kernel),
                Path.of(initrd),
                Optional.ofNullable(runtimeDisk).map(Path::of),
                vcpus == null ? 1 : vcpus,
                memoryMib == null ? 512 : memoryMib,
                Accel.valueOf((accel == null ? "auto" : accel).toUpperCase(Locale.ROOT)),
                stateRootPath(),
                Duration.ofSeconds(bootTimeoutSeconds == null ? 120 : bootTimeoutSeconds),
                kernelArgs,
                Boolean.TRUE.equals(templates),
                Boolean.TRUE.equals(hugePages),
                Optional.ofNullable(cpuModel),
                Optional.ofNullable(vmmUser == null ? DEFAULT_VMM_USER : vmmUser)
                        .filter(u -> !u.isEmpty()),
                VmAnnotations.settings(enableAnnotations == null ? List.of() : enableAnnotations),
                templateLimits(),
                !Boolean.FALSE.equals(loneRootDisk));
    }

    /**
     * Whether each shim serves its metrics on a socket in the state root (default on; docs/operations.md).
     * Off, no registry is made and no socket bound: what benchmarks compare side by side.
     */
    public boolean metricsOn() {
        return !Boolean.FALSE.equals(metrics);
    }

    /** What the state root's templates may keep (no limit unless the configuration sets one). */
    public TemplateLimits templateLimits() {
        return TemplateLimits.of(templateMaxMib, templateMaxUnusedDays);
    }
}
