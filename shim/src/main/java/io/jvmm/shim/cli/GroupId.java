package io.jvmm.shim.cli;

import io.jvmm.api.GroupAnnotations;
import io.jvmm.api.Identifiers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which shim (and so which VM) a container belongs to: the first of its spec's grouping annotations
 * that is set, else the container itself. Every container of a Kubernetes pod names the pod's sandbox
 * id, so all of them reach the pod's one shim and VM.
 */
public final class GroupId {
    private GroupId() {}

    public static String of(Path bundle, String containerId) {
        Map<String, String> annotations;
        try {
            annotations = annotations(bundle.resolve("config.json"));
        } catch (IOException e) {
            return containerId;
        }
        String group = GroupAnnotations.of(annotations);
        return group.isEmpty() ? containerId : Identifiers.validate("group", group);
    }

    /** The string values of the spec's top-level {@code annotations} object (other members are skipped). */
    static Map<String, String> annotations(Path spec) throws IOException {
        return TopLevelAnnotations.of(spec);
    }
}
