package io.jvmm.e2e.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

class LayeringTest {
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.jvmm");

    private static final JavaClasses FIXTURES = new ClassFileImporter().importPackages("archfixture");

    @Test
    void productionCodeIsImportedFromEveryModule() {
        assertThat(PRODUCTION.containPackage("io.jvmm.ttrpc")).isTrue();
        assertThat(PRODUCTION.containPackage("io.jvmm.ttrpc.transport")).isTrue();
        for (String module :
                new String[] {"sys", "mux", "api", "vmm", "agent.client", "task", "task.ttrpc", "shim", "guest"}) {
            assertThat(PRODUCTION.containPackage("io.jvmm." + module))
                    .as(module)
                    .isTrue();
        }
    }

    @Test
    void modulesRespectTheLayers() {
        LayeringRules.layers("io.jvmm").check(PRODUCTION);
    }

    @Test
    void onlyTheTtrpcModuleUsesNetty() {
        LayeringRules.onlyTtrpcUsesNetty("io.jvmm").check(PRODUCTION);
    }

    @Test
    void theGuestAgentLoadsNeitherNettyNorLog4j() {
        LayeringRules.guestAgentStaysLean("io.jvmm").check(PRODUCTION);
    }

    @Test
    void theRulesCatchAGuestClassBuiltOnNettyOrLog4j() {
        EvaluationResult result =
                LayeringRules.guestAgentStaysLean("archfixture").evaluate(FIXTURES);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report)
                .contains("archfixture.guest.StartsHeavy")
                .contains("archfixture.ttrpc.Wire")
                .contains("org.apache.logging.log4j.LogManager")
                .doesNotContain("archfixture.guest.Agent.");
    }

    @Test
    void theMuxLogsThroughItsLazyLogger() {
        LayeringRules.muxLogsOnFirstMessage("io.jvmm").check(PRODUCTION);
    }

    @Test
    void theRulesCatchAMuxClassThatInitialisesLog4jAsItLoads() {
        EvaluationResult result =
                LayeringRules.muxLogsOnFirstMessage("archfixture").evaluate(FIXTURES);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report)
                .contains("archfixture.mux.EagerLog")
                .doesNotContain("archfixture.mux.MuxLog")
                .doesNotContain("archfixture.mux.LogsLazily");
    }

    @Test
    void onlyTheTtrpcModuleUsesItsTransport() {
        LayeringRules.ttrpcInternalsStayInside("io.jvmm").check(PRODUCTION);
    }

    @Test
    void protobufTypesStayAtTheEdges() {
        LayeringRules.protobufOnlyAtTheEdges("io.jvmm").check(PRODUCTION);
    }

    @Test
    void theRulesCatchTransportInternalsAndProtobufInside() {
        String internals = String.join(
                "\n",
                LayeringRules.ttrpcInternalsStayInside("archfixture")
                        .evaluate(FIXTURES)
                        .getFailureReport()
                        .getDetails());
        assertThat(internals).contains("archfixture.guest.UsesTransport").doesNotContain("archfixture.ttrpc.Wire");
        String protobuf = String.join(
                "\n",
                LayeringRules.protobufOnlyAtTheEdges("archfixture")
                        .evaluate(FIXTURES)
                        .getFailureReport()
                        .getDetails());
        assertThat(protobuf)
                .contains("archfixture.task.UsesProtobuf")
                .doesNotContain("archfixture.task.ttrpc.Endpoint");
    }

    @Test
    void theRulesCatchALowerLayerImportingAHigherOne() {
        EvaluationResult result = LayeringRules.layers("archfixture").evaluate(FIXTURES);
        assertThat(result.hasViolation()).isTrue();
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report).contains("archfixture.api.ReachesUp").contains("archfixture.shim.Top");
        assertThat(report).contains("archfixture.guest.Agent").contains("archfixture.vmm.Monitor");
        assertThat(report).contains("archfixture.api.UsesTtrpc").contains("archfixture.vmm.UsesTtrpc");
        assertThat(report).doesNotContain("archfixture.task.Service");
    }

    @Test
    void theRulesCatchNettyOutsideTtrpc() {
        EvaluationResult result =
                LayeringRules.onlyTtrpcUsesNetty("archfixture").evaluate(FIXTURES);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report).contains("archfixture.api.UsesNetty").doesNotContain("archfixture.ttrpc.Wire");
    }
}
