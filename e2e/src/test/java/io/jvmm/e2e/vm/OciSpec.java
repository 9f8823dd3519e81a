package io.jvmm.e2e.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;

/** A minimal OCI runtime spec (what `ctr run` would give crun for a busybox image). */
public final class OciSpec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciSpec() {}

    static ObjectNode process(List<String> args) {
        ObjectNode p = JSON.createObjectNode();
        p.put("terminal", false);
        p.putObject("user").put("uid", 0).put("gid", 0);
        ArrayNode a = p.putArray("args");
        args.forEach(a::add);
        p.putArray("env").add("PATH=/bin").add("HOME=/");
        p.put("cwd", "/");
        ObjectNode caps = p.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode c = caps.putArray(set);
            List.of(
                            "CAP_CHOWN",
                            "CAP_DAC_OVERRIDE",
                            "CAP_FOWNER",
                            "CAP_FSETID",
                            "CAP_KILL",
                            "CAP_SETGID",
                            "CAP_SETUID",
                            "CAP_SETPCAP",
                            "CAP_NET_BIND_SERVICE",
                            "CAP_SYS_CHROOT",
                            "CAP_AUDIT_WRITE")
                    .forEach(c::add);
        }
        p.put("noNewPrivileges", true);
        return p;
    }

    public static byte[] config(String containerId, String rootfsInGuest, List<String> args) {
        return config(containerId, rootfsInGuest, args, true);
    }

    /** With {@code setHostname} false the container keeps the guest's hostname (its UTS namespace starts as a copy). */
    static byte[] config(String containerId, String rootfsInGuest, List<String> args, boolean setHostname) {
        return config(containerId, rootfsInGuest, args, setHostname, 0);
    }

    static byte[] config(
            String containerId, String rootfsInGuest, List<String> args, boolean setHostname, long memoryLimit) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2");
        spec.set("process", process(args));
        spec.putObject("root").put("path", rootfsInGuest).put("readonly", false);
        if (setHostname) {
            spec.put("hostname", containerId);
        }
        ArrayNode mounts = spec.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject()
                .put("destination", "/dev")
                .put("type", "tmpfs")
                .put("source", "tmpfs")
                .set(
                        "options",
                        JSON.createArrayNode()
                                .add("nosuid")
                                .add("strictatime")
                                .add("mode=755")
                                .add("size=65536k"));
        mounts.addObject()
                .put("destination", "/dev/pts")
                .put("type", "devpts")
                .put("source", "devpts")
                .set(
                        "options",
                        JSON.createArrayNode()
                                .add("nosuid")
                                .add("noexec")
                                .add("newinstance")
                                .add("ptmxmode=0666")
                                .add("mode=0620"));
        mounts.addObject()
                .put("destination", "/sys")
                .put("type", "sysfs")
                .put("source", "sysfs")
                .set(
                        "options",
                        JSON.createArrayNode()
                                .add("nosuid")
                                .add("noexec")
                                .add("nodev")
                                .add("ro"));
        ObjectNode linux = spec.putObject("linux");
        linux.put("cgroupsPath", "/jvmm/" + containerId);
        if (memoryLimit > 0) {
            linux.putObject("resources")
                    .putObject("memory")
                    .put("limit", memoryLimit)
                    .put("swap", memoryLimit);
        }
        ArrayNode ns = linux.putArray("namespaces");
        for (String type : List.of("pid", "ipc", "uts", "mount")) {
            ns.addObject().put("type", type);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A spec whose process runs on a terminal (crun hands its pty master to the agent). */
    static byte[] terminalConfig(String containerId, String rootfsInGuest, List<String> args) {
        try {
            ObjectNode spec = (ObjectNode) JSON.readTree(config(containerId, rootfsInGuest, args));
            ((ObjectNode) spec.get("process")).put("terminal", true);
            return JSON.writeValueAsBytes(spec);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] processJson(List<String> args) {
        try {
            return JSON.writeValueAsBytes(process(args));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
