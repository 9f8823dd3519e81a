package io.jvmm.e2e.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchRule;
import java.util.regex.Pattern;

/**
 * The module layering of DEVELOPERS.md as rules, parameterised by the root package so that the
 * same rules can be shown to catch violations in a fixture tree.
 *
 * <pre>
 *   sys  &lt;-  mux, ttrpc;   api
 *   sys, mux, api  &lt;-  vmm;   ttrpc, api  &lt;-  agent.client
 *   vmm, agent.client  &lt;-  task  &lt;-  shim
 *   guest: sys, mux, ttrpc, api
 * </pre>
 * ttrpc and api are independent; vmm speaks neither ttrpc nor containerd's messages.
 */
final class LayeringRules {
    private LayeringRules() {}

    static ArchRule layers(String root) {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("sys")
                .definedBy(root + ".sys..")
                .layer("mux")
                .definedBy(root + ".mux..")
                .layer("ttrpc")
                .definedBy(root + ".ttrpc..")
                .layer("api")
                .definedBy(root + ".api..")
                .layer("vmm")
                .definedBy(root + ".vmm..")
                .layer("agent-client")
                .definedBy(root + ".agent.client..")
                .layer("task")
                .definedBy(root + ".task..")
                .layer("shim")
                .definedBy(root + ".shim..")
                .layer("guest")
                .definedBy(root + ".guest..")
                .whereLayer("sys")
                .mayOnlyBeAccessedByLayers("mux", "ttrpc", "vmm", "agent-client", "task", "shim", "guest")
                .whereLayer("mux")
                .mayOnlyBeAccessedByLayers("vmm", "guest")
                .whereLayer("ttrpc")
                .mayOnlyBeAccessedByLayers("agent-client", "task", "shim", "guest")
                .whereLayer("api")
                .mayOnlyBeAccessedByLayers("vmm", "agent-client", "task", "shim", "guest")
                .whereLayer("vmm")
                .mayOnlyBeAccessedByLayers("task", "shim")
                .whereLayer("agent-client")
                .mayOnlyBeAccessedByLayers("task", "shim")
                .whereLayer("task")
                .mayOnlyBeAccessedByLayers("shim")
                .whereLayer("shim")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("guest")
                .mayNotBeAccessedByAnyLayer();
    }

    /** Netty is the transport of the ttrpc module and nobody else's business. */
    static ArchRule onlyTtrpcUsesNetty(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .and()
                .resideOutsideOfPackage(root + ".ttrpc..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.netty..")
                .because("only the ttrpc module may use Netty (DEVELOPERS.md)");
    }

    /**
     * The guest agent's start-up is emulated instruction by instruction under TCG, and every class it
     * loads counts: it serves on the plain ttrpc server and logs through the JDK's System.Logger, so no
     * class of Netty (nor a ttrpc class built on it) or of log4j is loaded in the guest (issue 24).
     */
    static ArchRule guestAgentStaysLean(String root) {
        DescribedPredicate<JavaClass> builtOnNetty = DescribedPredicate.describe(
                "are built on Netty",
                c -> c.getDirectDependenciesFromSelf().stream()
                        .anyMatch(d -> d.getTargetClass().getPackageName().startsWith("io.netty")));
        return noClasses()
                .that()
                .resideInAPackage(root + ".guest..")
                .should()
                .dependOnClassesThat(
                        builtOnNetty.or(JavaClass.Predicates.resideInAPackage("org.apache.logging.log4j..")))
                .because("the guest agent's start-up loads neither Netty nor log4j (issue 24)");
    }

    /**
     * The guest agent answers its first call over a stream mux in every VM without a vsock device, and
     * log4j's initialisation cost that answer ~1 s under TCG: mux classes look a logger up only through
     * {@code MuxLog}, which does it at the first message (issue 24). (Calling a logger is no cost: only
     * {@code LogManager} initialises log4j.)
     */
    static ArchRule muxLogsOnFirstMessage(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + ".mux..")
                .and()
                .haveNameNotMatching(Pattern.quote(root + ".mux.MuxLog") + "(\\$.*)?")
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("org.apache.logging.log4j.LogManager")
                .because(
                        "a guest's mux that logs nothing must not initialise log4j before the first answer (issue 24)");
    }

    /** The ttrpc module's framing and connections are its own: users see servers, clients, calls and statuses. */
    static ArchRule ttrpcInternalsStayInside(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .and()
                .resideOutsideOfPackage(root + ".ttrpc..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(root + ".ttrpc.transport..", root + ".ttrpc.wire..")
                .because("the ttrpc module's transport is internal (DEVELOPERS.md)");
    }

    /**
     * Protobuf types at the edges only: inside the task layer and the VMM layer the code works with domain
     * types; containerd's messages belong to the endpoints (task.ttrpc) and the agent's to the one adapter
     * over the agent client (task.guest.AgentGuest).
     */
    static ArchRule protobufOnlyAtTheEdges(String root) {
        return noClasses()
                .that()
                .resideInAnyPackage(root + ".task..", root + ".vmm..")
                .and()
                .resideOutsideOfPackage(root + ".task.ttrpc..")
                .and()
                .doNotHaveFullyQualifiedName(root + ".task.guest.AgentGuest")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "com.google.protobuf..",
                        root + ".api.containerd..",
                        root + ".api.agent.v1..",
                        root + ".api.k8s..")
                .because("protobuf types stay at the edges (DEVELOPERS.md)");
    }
}
