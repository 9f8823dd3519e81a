package io.jvmm.task.sandbox;

import java.nio.file.Path;

/**
 * What network a sandbox's VM gets, from what containerd asked of the pod (or of its first container):
 * none (a container with a network namespace of its own and nothing in it, as runc gives), the pod's
 * namespace made by CNI, or the host's network (a spec without a network namespace; a CRI pod with
 * hostNetwork), which a VM can only approximate with user-mode networking: connections out through the
 * host's stack, none in.
 */
public sealed interface NetworkPlan {
    record Isolated() implements NetworkPlan {}

    record PodNamespace(Path netns) implements NetworkPlan {}

    record Host() implements NetworkPlan {}

    NetworkPlan ISOLATED = new Isolated();
    NetworkPlan HOST = new Host();
}
