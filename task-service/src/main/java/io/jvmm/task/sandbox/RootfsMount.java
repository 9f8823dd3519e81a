package io.jvmm.task.sandbox;

import java.util.List;

/** One mount containerd's snapshotter gives for a container's root (containerd.types.Mount, as a domain value). */
public record RootfsMount(String type, String source, String target, List<String> options) {
    public RootfsMount {
        options = List.copyOf(options);
        target = target == null ? "" : target;
    }
}
