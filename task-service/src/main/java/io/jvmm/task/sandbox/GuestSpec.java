package io.jvmm.task.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.task.TaskException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Turns the OCI spec containerd wrote for the host into the spec crun runs in the guest: the root is
 * the container's directory on the virtiofs share; host bind mounts are shared into the VM and point
 * there; what only means something on the host (hooks, namespace paths, host devices, LSM labels,
 * the host's cgroup path) is left out.
 */
public final class GuestSpec {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String GUEST_OCI_VERSION = "1.0.2";
    private static final Set<String> KERNEL_FILE_SYSTEMS = Set.of("proc", "sysfs", "tmpfs", "devpts", "mqueue",
            "cgroup", "cgroup2", "shm", "devtmpfs");

    /** Makes a host path visible in the guest; returns the guest path. */
    @FunctionalInterface
    public interface HostPathSharer {
        String share(Path hostPath, int index, boolean readOnly) throws IOException;
    }

    private GuestSpec() {
    }

    public static ObjectNode parse(byte[] configJson) {
        ObjectNode spec = readObject(configJson, "config.json");
        if (!(spec.get("process") instanceof ObjectNode process)) {
            throw TaskException.invalidArgument("config.json has no process");
        }
        requireArgs(process, "config.json: process.args");
        return spec;
    }

    /** Checks an exec's OCI process spec (JSON) before it reaches the guest. */
    public static void parseProcess(byte[] processJson) {
        requireArgs(readObject(processJson, "exec process spec"), "exec process spec: args");
    }

    private static void requireArgs(JsonNode process, String what) {
        if (!(process.get("args") instanceof ArrayNode a) || a.isEmpty()) {
            throw TaskException.invalidArgument(what + " must be a non-empty array");
        }
    }

    /** Checks OCI LinuxResources (JSON) for Update. */
    public static void parseResources(byte[] resourcesJson) {
        readObject(resourcesJson, "resources");
    }

    private static ObjectNode readObject(byte[] json, String what) {
        try {
            if (!(JSON.readTree(json) instanceof ObjectNode node)) {
                throw TaskException.invalidArgument(what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw TaskException.invalidArgument(what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The annotations of a spec (empty if none). */
    public static String annotation(ObjectNode spec, String key) {
        JsonNode a = spec.get("annotations");
        return a != null && a.get(key) != null ? a.get(key).asText("") : "";
    }

    public static byte[] translate(ObjectNode hostSpec, String containerId, String guestRoot, HostPathSharer sharer)
            throws IOException {
        ObjectNode spec = hostSpec.deepCopy();
        // The guest's crun reads specs up to 1.1; containerd 2.x writes 1.2.x, whose additions it does not use.
        spec.put("ociVersion", GUEST_OCI_VERSION);
        ObjectNode root = spec.with("root");
        root.put("path", guestRoot);
        spec.remove("hooks");
        ObjectNode process = (ObjectNode) spec.get("process");
        process.remove(List.of("apparmorProfile", "selinuxLabel"));
        translateMounts(spec, sharer);
        if (spec.get("linux") instanceof ObjectNode linux) {
            translateLinux(linux, containerId);
        }
        return JSON.writeValueAsBytes(spec);
    }

    private static void translateMounts(ObjectNode spec, HostPathSharer sharer) throws IOException {
        if (!(spec.get("mounts") instanceof ArrayNode mounts)) {
            return;
        }
        for (int i = 0; i < mounts.size(); i++) {
            if (!(mounts.get(i) instanceof ObjectNode m)) {
                throw TaskException.invalidArgument("mounts[" + i + "] is not an object");
            }
            if (isBind(m)) {
                String source = m.path("source").asText("");
                if (!source.startsWith("/")) {
                    throw TaskException.invalidArgument("mounts[" + i + "]: bind source \"" + source + "\" is not an absolute path");
                }
                m.put("source", sharer.share(Path.of(source), i, hasOption(m, "ro")));
            }
        }
    }

    /** Whether the spec bind-mounts host paths, which only the share can bring into the guest. */
    public static boolean hasHostBinds(ObjectNode spec) {
        for (JsonNode m : spec.path("mounts")) {
            if (m instanceof ObjectNode mount && isBind(mount)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBind(ObjectNode mount) {
        String type = mount.path("type").asText("");
        if (KERNEL_FILE_SYSTEMS.contains(type)) {
            return false;
        }
        return type.equals("bind") || hasOption(mount, "bind") || hasOption(mount, "rbind");
    }

    private static boolean hasOption(ObjectNode mount, String option) {
        for (JsonNode o : mount.path("options")) {
            if (o.asText("").equals(option)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasNamespace(ArrayNode namespaces, String type) {
        for (JsonNode ns : namespaces) {
            if (ns.path("type").asText("").equals(type)) {
                return true;
            }
        }
        return false;
    }

    private static void translateLinux(ObjectNode linux, String containerId) {
        // The host's cgroup path (often systemd-style) means nothing in the guest, which has no systemd.
        linux.put("cgroupsPath", "/jvmm/" + containerId);
        linux.remove(List.of("devices", "mountLabel", "intelRdt"));
        if (linux.get("namespaces") instanceof ArrayNode namespaces) {
            ArrayNode kept = JSON.createArrayNode();
            boolean joinsPodNetwork = false;
            for (JsonNode ns : namespaces) {
                joinsPodNetwork |= ns.path("type").asText("").equals("network") && !ns.path("path").asText("").isEmpty();
                // A path names a host namespace (the pod's netns from CNI, say): the VM is that boundary, so
                // the container shares the guest's instead of joining one it cannot reach.
                if (ns.path("path").asText("").isEmpty()) {
                    kept.add(ns);
                }
            }
            // The guest is always cgroup v2: give the container its own cgroup namespace, as containerd does on
            // cgroup v2 hosts, so it sees its cgroup as the root (not the agent's tree) whatever the host runs.
            if (!hasNamespace(kept, "cgroup")) {
                kept.addObject().put("type", "cgroup");
            }
            linux.set("namespaces", kept);
            if (joinsPodNetwork && linux.get("sysctl") instanceof ObjectNode sysctls) {
                // net.* sysctls need a network namespace of the container's own (crun refuses them otherwise);
                // the pod's network is the guest's, which the VM alone uses, so they are left to the guest.
                sysctls.remove(sysctls.properties().stream().map(java.util.Map.Entry::getKey).filter(k -> k.startsWith("net.")).toList());
            }
        }
    }
}
