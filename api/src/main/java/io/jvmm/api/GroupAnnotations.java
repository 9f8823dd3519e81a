package io.jvmm.api;

import java.util.List;
import java.util.Map;

/**
 * The spec annotations that put a container into a group sharing one shim and VM (runc's shim honours the
 * same keys): the first one set names the group. A Kubernetes pod's containers name their sandbox.
 */
public final class GroupAnnotations {
    public static final List<String> KEYS =
            List.of("io.containerd.jvmm.v2.group", "io.containerd.runc.v2.group", "io.kubernetes.cri.sandbox-id");

    private GroupAnnotations() {}

    /** The group {@code annotations} name, or empty when they name none. */
    public static String of(Map<String, String> annotations) {
        for (String key : KEYS) {
            String value = annotations.getOrDefault(key, "");
            if (!value.isEmpty()) {
                return value;
            }
        }
        return "";
    }
}
