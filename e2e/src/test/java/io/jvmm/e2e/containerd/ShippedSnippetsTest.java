package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.ttrpc.testing.GoPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The containerd snippets in packaging/kubernetes, as shipped (imported from this checkout, not copied),
 * read by the real containerd of each version they are for: {@code containerd config dump} shows the jvmm
 * runtime as the file means it. (Every CRI pod of handler {@code jvmm} in the e2e suites runs through the
 * 2.x snippet too: {@link CriNetwork#SHIPPED_SNIPPET}.) And the RuntimeClass names the runtime they define.
 */
class ShippedSnippetsTest {
    private static final Path KUBERNETES = GoPeer.repoRoot().resolve("packaging/kubernetes");

    @Test
    void containerd2ReadsTheShippedSnippetAsTheShimSandboxer() throws Exception {
        String dump = dump(PrivateContainerd.PREFIX, 3, KUBERNETES.resolve("containerd-2.x.toml"));
        String jvmm = table(dump, "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.jvmm]");
        assertThat(jvmm)
                .contains("runtime_type = 'io.containerd.jvmm.v2'")
                .contains("sandboxer = 'shim'")
                .contains("pod_annotations = ['jvmm.io/*']")
                .contains("container_annotations = ['jvmm.io/*']");
    }

    @Test
    void containerd16ReadsTheShippedConfigV2Snippet() throws Exception {
        String dump = dump(PrivateContainerd.PREFIX_1_6, 2, KUBERNETES.resolve("containerd-1.7.toml"));
        String jvmm = table(dump, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.jvmm]");
        assertThat(jvmm)
                .contains("runtime_type = \"io.containerd.jvmm.v2\"")
                .contains("pod_annotations = [\"jvmm.io/*\"]");
    }

    @Test
    void theRuntimeClassNamesTheSnippetsRuntime() throws Exception {
        String yaml = Files.readString(KUBERNETES.resolve("runtimeclass.yaml"));
        assertThat(yaml).containsPattern("(?m)^handler: jvmm$").containsPattern("(?m)^kind: RuntimeClass$");
        for (String snippet : List.of("containerd-2.x.toml", "containerd-1.7.toml")) {
            assertThat(Files.readString(KUBERNETES.resolve(snippet)))
                    .as(snippet)
                    .containsPattern("(?m)^\\[plugins\\..*\\.containerd\\.runtimes\\.jvmm\\]$");
        }
    }

    /** {@code containerd config dump} of a configuration (format {@code version}) that only imports {@code snippet}. */
    private static String dump(Path prefix, int version, Path snippet) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-snippet");
        try {
            Path config = Files.writeString(
                    dir.resolve("config.toml"),
                    "version = %d\nimports = ['%s']\nroot = '%s'\nstate = '%s'\n"
                            .formatted(version, snippet, dir.resolve("root"), dir.resolve("state")));
            Process p = new ProcessBuilder(
                            prefix.resolve("containerd").toString(), "--config", config.toString(), "config", "dump")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).as("the dump names the import").contains(snippet.toString());
            return out;
        } finally {
            Leftovers.deleteTree(dir);
        }
    }

    /** The lines of {@code header}'s table, up to the next table's header. */
    private static String table(String dump, String header) {
        int at = dump.indexOf(header);
        assertThat(at).as("%s in%n%s", header, dump).isNotNegative();
        StringBuilder lines = new StringBuilder();
        for (String line : dump.substring(at + header.length()).lines().skip(1).toList()) {
            if (line.strip().startsWith("[")) {
                break;
            }
            lines.append(line.strip()).append('\n');
        }
        return lines.toString();
    }
}
