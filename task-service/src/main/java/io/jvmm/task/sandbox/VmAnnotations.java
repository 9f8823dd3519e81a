package io.jvmm.task.sandbox;

import io.jvmm.task.TaskException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Per-pod VM settings from the pod's annotations ({@code jvmm.io/vcpus}, {@code jvmm.io/memory-mib},
 * {@code jvmm.io/templates}, {@code jvmm.io/kernel-params}), each honoured only when the runtime
 * configuration enables it ({@code "enableAnnotations"}, as Kata's {@code enable_annotations}): whoever may
 * create pods should not size VMs beyond what the node's operator allows. An unknown {@code jvmm.io/}
 * annotation, a disabled one or a bad value is refused (InvalidArgument) before anything is started,
 * so a typo never boots a VM that silently ignores it.
 */
public final class VmAnnotations {
    public static final String PREFIX = "jvmm.io/";

    /** What the annotations may set; {@link #key()} is the name after the prefix and in the allow-list. */
    public enum Setting {
        VCPUS("vcpus"),
        MEMORY_MIB("memory-mib"),
        TEMPLATES("templates"),
        KERNEL_PARAMS("kernel-params");

        private final String key;

        Setting(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        /** The setting named {@code key}, or empty. */
        public static Optional<Setting> named(String key) {
            return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
        }

        static String all() {
            return Arrays.stream(values()).map(Setting::key).collect(Collectors.joining(", "));
        }
    }

    /** Annotations that are not VM settings (they pass through containerd's {@code jvmm.io/*} filter too). */
    private static final Set<String> NOT_SETTINGS = Set.of("enabled");

    static final int MIN_MEMORY_MIB = PodSizing.GUEST_OVERHEAD_MIB;
    static final int MAX_KERNEL_PARAMS = 512;
    /** One kernel parameter: no quotes, no shell or QEMU option syntax, nothing the guest's init would misread. */
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9_.,:/=+-]+");

    private VmAnnotations() {}

    /**
     * The overrides {@code annotations} ask for.
     *
     * @param enabled       the settings the runtime configuration enables
     * @param hostCpus      vCPUs above this are refused (they would only slow the guest down)
     * @param hostMemoryMib memory above this is refused (the VM could never run here)
     * @throws TaskException INVALID_ARGUMENT naming the annotation, for anything it cannot honour
     */
    public static VmOverrides parse(
            Map<String, String> annotations, Set<Setting> enabled, int hostCpus, long hostMemoryMib) {
        OptionalInt vcpus = OptionalInt.empty();
        OptionalInt memory = OptionalInt.empty();
        Optional<Boolean> templates = Optional.empty();
        Optional<String> kernelParams = Optional.empty();
        for (var e : annotations.entrySet()) {
            if (!e.getKey().startsWith(PREFIX)) {
                continue;
            }
            String key = e.getKey().substring(PREFIX.length());
            if (NOT_SETTINGS.contains(key)) {
                continue;
            }
            Setting setting = Setting.named(key)
                    .orElseThrow(() -> refuse(e.getKey(), "is not a jvmm setting (known: " + Setting.all() + ")"));
            if (!enabled.contains(setting)) {
                throw refuse(
                        e.getKey(),
                        "is not enabled by the runtime configuration (its \"enableAnnotations\" lists "
                                + (enabled.isEmpty()
                                        ? "none"
                                        : enabled.stream()
                                                .map(Setting::key)
                                                .sorted()
                                                .toList())
                                + ")");
            }
            String value = e.getValue().strip();
            switch (setting) {
                case VCPUS -> vcpus = OptionalInt.of(number(e.getKey(), value, 1, hostCpus));
                case MEMORY_MIB ->
                    memory = OptionalInt.of(number(
                            e.getKey(), value, MIN_MEMORY_MIB, (int) Math.min(Integer.MAX_VALUE, hostMemoryMib)));
                case TEMPLATES -> templates = Optional.of(bool(e.getKey(), value));
                case KERNEL_PARAMS -> kernelParams = Optional.of(kernelParams(e.getKey(), value));
            }
        }
        return new VmOverrides(vcpus, memory, templates, kernelParams);
    }

    private static int number(String annotation, String value, int min, int max) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw refuse(annotation, "must be a whole number, not \"" + printable(value) + "\"");
        }
        if (n < min || n > max) {
            throw refuse(annotation, "must be between " + min + " and " + max + " on this host, not " + n);
        }
        return (int) n;
    }

    private static boolean bool(String annotation, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw refuse(annotation, "must be \"true\" or \"false\", not \"" + printable(value) + "\"");
        };
    }

    /**
     * Parameters appended to the guest kernel's command line. Refused: what would take the guest away from
     * jvmm's init and agent ({@code init=}, {@code rdinit=}), its console (the shim reads the agent's
     * announcement there) or jvmm's own switches ({@code jvmm.*}, which the host sets).
     */
    private static String kernelParams(String annotation, String value) {
        if (value.length() > MAX_KERNEL_PARAMS) {
            throw refuse(annotation, "is longer than " + MAX_KERNEL_PARAMS + " characters");
        }
        for (String param : value.split("\\s+")) {
            if (param.isEmpty()) {
                continue;
            }
            if (!PARAM.matcher(param).matches()) {
                throw refuse(
                        annotation,
                        "has a parameter with characters other than letters, digits and _.,:/=+-: \"" + printable(param)
                                + "\"");
            }
            String name = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
            if (name.startsWith("jvmm.") || Set.of("init", "rdinit", "console").contains(name)) {
                throw refuse(annotation, "may not set " + name + " (jvmm's guest depends on it)");
            }
        }
        return String.join(" ", value.split("\\s+")).strip();
    }

    /** A value as it may appear in an error: bounded, control characters replaced. */
    private static String printable(String value) {
        String v = value.length() > 64 ? value.substring(0, 64) + "…" : value;
        return v.replaceAll("\\p{Cntrl}", "?");
    }

    private static TaskException refuse(String annotation, String why) {
        return TaskException.invalidArgument("annotation " + annotation + " " + why);
    }

    /** The settings an allow-list names; an unknown name is an error in the runtime configuration. */
    public static Set<Setting> settings(Iterable<String> keys) {
        var set = EnumSet.noneOf(Setting.class);
        for (String k : keys) {
            set.add(Setting.named(k)
                    .orElseThrow(() -> new IllegalArgumentException(
                            "enableAnnotations: unknown setting \"" + k + "\" (known: " + Setting.all() + ")")));
        }
        return set;
    }
}
