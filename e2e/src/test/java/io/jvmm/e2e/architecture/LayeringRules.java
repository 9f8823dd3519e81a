package io.jvmm.e2e.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.lang.ArchRule;

/**
 * The module layering of DEVELOPERS.md as rules, parameterised by the root package so that the
 * same rules can be shown to catch violations in a fixture tree.
 *
 * <pre>
 *   ttrpc  &lt;-  api  &lt;-  vmm, agent.client  &lt;-  task  &lt;-  shim
 *                  ^-- guest (uses ttrpc and api only)
 * </pre>
 */
final class LayeringRules {
    private LayeringRules() {
    }

    static ArchRule layers(String root) {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("ttrpc").definedBy(root + ".ttrpc..")
                .layer("api").definedBy(root + ".api..")
                .layer("vmm").definedBy(root + ".vmm..")
                .layer("agent-client").definedBy(root + ".agent.client..")
                .layer("task").definedBy(root + ".task..")
                .layer("shim").definedBy(root + ".shim..")
                .layer("guest").definedBy(root + ".guest..")
                .whereLayer("ttrpc").mayOnlyBeAccessedByLayers("api", "vmm", "agent-client", "task", "shim", "guest")
                .whereLayer("api").mayOnlyBeAccessedByLayers("vmm", "agent-client", "task", "shim", "guest")
                .whereLayer("vmm").mayOnlyBeAccessedByLayers("task", "shim")
                .whereLayer("agent-client").mayOnlyBeAccessedByLayers("task", "shim")
                .whereLayer("task").mayOnlyBeAccessedByLayers("shim")
                .whereLayer("shim").mayNotBeAccessedByAnyLayer()
                .whereLayer("guest").mayNotBeAccessedByAnyLayer();
    }

    /** Netty is the transport of the ttrpc module and nobody else's business. */
    static ArchRule onlyTtrpcUsesNetty(String root) {
        return noClasses().that().resideInAPackage(root + "..")
                .and().resideOutsideOfPackage(root + ".ttrpc..")
                .should().dependOnClassesThat().resideInAPackage("io.netty..")
                .because("only the ttrpc module may use Netty (DEVELOPERS.md)");
    }
}
