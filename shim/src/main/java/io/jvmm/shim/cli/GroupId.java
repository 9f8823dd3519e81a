package io.jvmm.shim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmm.api.Identifiers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Which shim (and so which VM) a container belongs to: the first of its spec's grouping annotations
 * that is set, else the container itself. Every container of a Kubernetes pod names the pod's sandbox
 * id, so all of them reach the pod's one shim and VM.
 */
public final class GroupId {
    static final List<String> ANNOTATIONS = List.of("io.containerd.jvmm.v2.group", "io.containerd.runc.v2.group",
            "io.kubernetes.cri.sandbox-id");
    private static final ObjectMapper JSON = new ObjectMapper();

    private GroupId() {
    }

    public static String of(Path bundle, String containerId) {
        JsonNode annotations;
        try {
            annotations = JSON.readTree(bundle.resolve("config.json").toFile()).path("annotations");
        } catch (IOException e) {
            return containerId;
        }
        for (String key : ANNOTATIONS) {
            String value = annotations.path(key).asText("");
            if (!value.isEmpty()) {
                return Identifiers.validate("group", value);
            }
        }
        return containerId;
    }
}
