package io.jvmm.shim.cli;

import io.jvmm.api.Identifiers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Which shim (and so which VM) a container belongs to: the first of its spec's grouping annotations
 * that is set, else the container itself. Every container of a Kubernetes pod names the pod's sandbox
 * id, so all of them reach the pod's one shim and VM.
 */
public final class GroupId {
    static final List<String> ANNOTATIONS =
            List.of("io.containerd.jvmm.v2.group", "io.containerd.runc.v2.group", "io.kubernetes.cri.sandbox-id");

    private GroupId() {}

    public static String of(Path bundle, String containerId) {
        Map<String, String> annotations;
        try {
            annotations = annotations(bundle.resolve("config.json"));
        } catch (IOException e) {
            return containerId;
        }
        for (String key : ANNOTATIONS) {
            String value = annotations.getOrDefault(key, "");
            if (!value.isEmpty()) {
                return Identifiers.validate("group", value);
            }
        }
        return containerId;
    }

    /** The string values of the spec's top-level {@code annotations} object (other members are skipped). */
    static Map<String, String> annotations(Path spec) throws IOException {
        return TopLevelAnnotations.of(spec);
    }
}
