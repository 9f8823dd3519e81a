package io.jvmm.task;

/**
 * A pod's name and Kubernetes namespace as CRI gave them in its sandbox config (both empty when the sandbox
 * came without one): labels for whoever watches the sandbox, nothing the runtime decides by.
 */
public record PodName(String name, String namespace) {
    public static final PodName NONE = new PodName("", "");

    public PodName {
        if (name == null || namespace == null) {
            throw new IllegalArgumentException("a pod's name and namespace are strings, empty when absent");
        }
    }
}
