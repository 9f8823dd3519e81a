package io.jvmm.task.sandbox;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonArray;
import io.jvmm.api.json.JsonObject;
import io.jvmm.task.TaskException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the OCI spec containerd wrote for the host into the spec crun runs in the guest: the root is
 * the container's directory on the virtiofs share; host bind mounts are shared into the VM and point
 * there; what only means something on the host (hooks, namespace paths, host devices, LSM labels,
 * the host's cgroup path) is left out.
 */
public final class GuestSpec {
    static final String GUEST_OCI_VERSION = "1.0.2";
    private static final Set<String> KERNEL_FILE_SYSTEMS =
            Set.of("proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "shm", "devtmpfs");

    /** Makes a host path visible in the guest; returns the guest path. */
    @FunctionalInterface
    public interface HostPathSharer {
        String share(Path hostPath, int index, boolean readOnly) throws IOException;
    }

    private GuestSpec() {}

    /** The bundle's config.json, parsed; INVALID_ARGUMENT when it cannot be read or is no OCI spec. */
    public static JsonObject ofBundle(Path bundle) {
        byte[] json;
        try {
            json = Files.readAllBytes(bundle.resolve("config.json"));
        } catch (IOException e) {
            throw TaskException.invalidArgument("cannot read the bundle's config.json: " + e.getMessage(), e);
        }
        return parse(json);
    }

    public static JsonObject parse(byte[] configJson) {
        JsonObject spec = readObject(configJson, "config.json");
        if (!(spec.get("process") instanceof JsonObject process)) {
            throw TaskException.invalidArgument("config.json has no process");
        }
        requireArgs(process, "config.json: process.args");
        return spec;
    }

    /** Checks an exec's OCI process spec (JSON) before it reaches the guest. */
    public static void parseProcess(byte[] processJson) {
        requireArgs(readObject(processJson, "exec process spec"), "exec process spec: args");
    }

    private static void requireArgs(JsonObject process, String what) {
        if (!(process.get("args") instanceof JsonArray a) || a.isEmpty()) {
            throw TaskException.invalidArgument(what + " must be a non-empty array");
        }
    }

    /** Checks OCI LinuxResources (JSON) for Update. */
    public static void parseResources(byte[] resourcesJson) {
        readObject(resourcesJson, "resources");
    }

    private static JsonObject readObject(byte[] json, String what) {
        try {
            if (!(Json.parse(json) instanceof JsonObject node)) {
                throw TaskException.invalidArgument(what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw TaskException.invalidArgument(what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The annotations of a spec (empty if none). */
    public static String annotation(JsonObject spec, String key) {
        return spec.objectOrEmpty("annotations").text(key);
    }

    /** All of a spec's annotations with text values (OCI: a map of strings; anything else is skipped). */
    public static Map<String, String> annotations(JsonObject spec) {
        Map<String, String> all = new LinkedHashMap<>();
        spec.objectOrEmpty("annotations").forEach((k, v) -> {
            if (v instanceof String text) {
                all.put(k, text);
            }
        });
        return all;
    }

    public static byte[] translate(JsonObject hostSpec, String containerId, String guestRoot, HostPathSharer sharer)
            throws IOException {
        JsonObject spec = hostSpec.deepCopy();
        // The guest's crun reads specs up to 1.1; containerd 2.x writes 1.2.x, whose additions it does not use.
        spec.put("ociVersion", GUEST_OCI_VERSION);
        JsonObject root = spec.with("root");
        root.put("path", guestRoot);
        spec.remove("hooks");
        JsonObject process = (JsonObject) spec.get("process");
        process.keySet().removeAll(List.of("apparmorProfile", "selinuxLabel"));
        translateMounts(spec, sharer);
        if (spec.get("linux") instanceof JsonObject linux) {
            translateLinux(linux, containerId);
        }
        return Json.writeBytes(spec, false);
    }

    private static void translateMounts(JsonObject spec, HostPathSharer sharer) throws IOException {
        if (!(spec.get("mounts") instanceof JsonArray mounts)) {
            return;
        }
        for (int i = 0; i < mounts.size(); i++) {
            if (!(mounts.get(i) instanceof JsonObject m)) {
                throw TaskException.invalidArgument("mounts[" + i + "] is not an object");
            }
            if (isBind(m)) {
                String source = m.text("source");
                if (!source.startsWith("/")) {
                    throw TaskException.invalidArgument(
                            "mounts[" + i + "]: bind source \"" + source + "\" is not an absolute path");
                }
                m.put("source", sharer.share(Path.of(source), i, hasOption(m, "ro")));
            }
        }
    }

    /** Whether the spec bind-mounts host paths, which only the share can bring into the guest. */
    public static boolean hasHostBinds(JsonObject spec) {
        return spec.array("mounts").objects().stream().anyMatch(GuestSpec::isBind);
    }

    private static boolean isBind(JsonObject mount) {
        String type = mount.text("type");
        if (KERNEL_FILE_SYSTEMS.contains(type)) {
            return false;
        }
        return type.equals("bind") || hasOption(mount, "bind") || hasOption(mount, "rbind");
    }

    private static boolean hasOption(JsonObject mount, String option) {
        return mount.array("options").texts().contains(option);
    }

    private static boolean hasNamespace(JsonArray namespaces, String type) {
        return namespaces.objects().stream().anyMatch(ns -> ns.text("type").equals(type));
    }

    private static void translateLinux(JsonObject linux, String containerId) {
        // The host's cgroup path (often systemd-style) means nothing in the guest, which has no systemd.
        linux.put("cgroupsPath", "/jvmm/" + containerId);
        linux.keySet().removeAll(List.of("devices", "mountLabel", "intelRdt"));
        if (linux.get("namespaces") instanceof JsonArray namespaces) {
            JsonArray kept = new JsonArray();
            boolean joinsPodNetwork = false;
            for (Object element : namespaces) {
                JsonObject ns = element instanceof JsonObject o ? o : new JsonObject();
                joinsPodNetwork |=
                        ns.text("type").equals("network") && !ns.text("path").isEmpty();
                // A path names a host namespace (the pod's netns from CNI, say): the VM is that boundary, so
                // the container shares the guest's instead of joining one it cannot reach.
                if (ns.text("path").isEmpty()) {
                    kept.add(element);
                }
            }
            // The guest is always cgroup v2: give the container its own cgroup namespace, as containerd does on
            // cgroup v2 hosts, so it sees its cgroup as the root (not the agent's tree) whatever the host runs.
            if (!hasNamespace(kept, "cgroup")) {
                kept.add(new JsonObject(Map.of("type", "cgroup")));
            }
            linux.put("namespaces", kept);
            if (joinsPodNetwork && linux.get("sysctl") instanceof JsonObject sysctls) {
                // net.* sysctls need a network namespace of the container's own (crun refuses them otherwise);
                // the pod's network is the guest's, which the VM alone uses, so they are left to the guest.
                sysctls.keySet().removeIf(k -> k.startsWith("net."));
            }
        }
    }
}
