package io.jvmm.task.sandbox;

import io.jvmm.api.json.JsonObject;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A pod in containerd's pause-container model ({@code sandboxer = "podsandbox"}, and every pod on 1.6
 * and 1.7): the first container of the pod is its sandbox container, whose spec carries the pod's
 * resources as {@code io.kubernetes.cri.sandbox-*} annotations and the pod's network namespace (made by
 * CNI) as a path (or no network namespace: a host-network pod). Its Create boots the pod's VM, sized and
 * wired from those.
 */
public record PauseContainer(PodResources resources, NetworkPlan network) {
    static final String CONTAINER_TYPE = "io.kubernetes.cri.container-type";

    /** The pod as the sandbox container's spec describes it; empty for any other container. */
    public static Optional<PauseContainer> of(JsonObject spec) {
        if (!GuestSpec.annotation(spec, CONTAINER_TYPE).equals("sandbox")) {
            return Optional.empty();
        }
        PodResources resources = PodResources.of(
                number(spec, "io.kubernetes.cri.sandbox-cpu-quota"),
                number(spec, "io.kubernetes.cri.sandbox-cpu-period"),
                number(spec, "io.kubernetes.cri.sandbox-memory"));
        return Optional.of(new PauseContainer(resources, networkOf(spec)));
    }

    /**
     * The network a spec asks for: a network namespace by path (the pod's, from CNI), one of its own
     * (isolated), or none at all (the host's network).
     */
    public static NetworkPlan networkOf(JsonObject spec) {
        for (JsonObject ns : spec.objectOrEmpty("linux").array("namespaces").objects()) {
            if (ns.text("type").equals("network")) {
                String path = ns.text("path");
                return path.startsWith("/") ? new NetworkPlan.PodNamespace(Path.of(path)) : NetworkPlan.ISOLATED;
            }
        }
        return NetworkPlan.HOST;
    }

    private static long number(JsonObject spec, String annotation) {
        try {
            return Long.parseLong(GuestSpec.annotation(spec, annotation));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
