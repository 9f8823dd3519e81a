package io.jvmm.shim.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jvmm.api.Identifiers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
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
    // The streaming parser alone: start reads one object of the spec, and a databind ObjectMapper costs
    // start more time to set up than the whole read.
    private static final JsonFactory JSON = new JsonFactory();

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
        Map<String, String> found = new HashMap<>();
        try (JsonParser p = JSON.createParser(spec.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("the spec is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String member = p.currentName();
                JsonToken value = p.nextToken();
                if (member.equals("annotations") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        if (p.nextToken() == JsonToken.VALUE_STRING) {
                            found.put(key, p.getText());
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return found;
    }
}
