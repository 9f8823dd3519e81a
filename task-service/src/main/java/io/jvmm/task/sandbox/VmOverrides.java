package io.jvmm.task.sandbox;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a pod's {@code jvmm.io/*} annotations change about its VM ({@link VmAnnotations} reads them): the
 * base size its resources are added to, whether it comes from a template, and kernel parameters appended
 * to the configured ones. Each is empty where the pod asked for nothing.
 */
public record VmOverrides(
        OptionalInt vcpus, OptionalInt memoryMib, Optional<Boolean> templates, Optional<String> kernelParams) {
    public static final VmOverrides NONE =
            new VmOverrides(OptionalInt.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());

    /** The size to start from in place of the configured one (the pod's limits still add to it: {@link PodSizing}). */
    public VmSize size(VmSize configured) {
        return new VmSize(vcpus.orElse(configured.vcpus()), memoryMib.orElse(configured.memoryMib()));
    }

    /** The runtime's settings as this pod's VM uses them. */
    public SandboxSettings applyTo(SandboxSettings s) {
        if (this.equals(NONE)) {
            return s;
        }
        VmSize size = size(VmSize.of(s));
        String args =
                kernelParams.map(p -> (s.extraKernelArgs() + " " + p).strip()).orElse(s.extraKernelArgs());
        return s.with(size, args, templates.orElse(s.templates()));
    }
}
