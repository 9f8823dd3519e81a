package io.jvmm.task.sandbox;

import io.jvmm.vmm.GuestSnapshot;

/**
 * Has a missing VM template made away from the sandbox that found it missing, which meanwhile boots cold:
 * the first sandbox of a new configuration or size pays a cold boot, not a cold boot plus the template's
 * save and restore, and later ones restore. The shim's maker runs {@code containerd-shim-jvmm-v2
 * templates make} in a session of its own, so the template is finished whatever becomes of the sandbox;
 * its lock ({@link VmTemplates}) makes it once however many sandboxes ask.
 */
@FunctionalInterface
public interface TemplateMaker {
    /**
     * Starts making {@code template}, the template of {@code settings} at {@code size} ({@link
     * VmTemplates#locate}); returns at once, never throws.
     */
    void makeBeside(SandboxSettings settings, VmSize size, GuestSnapshot template);

    /** Makes nothing: sandboxes of a templated configuration then boot cold until a template is made. */
    TemplateMaker NONE = (settings, size, template) -> {};
}
