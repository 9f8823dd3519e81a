package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map.Entry;
import org.junit.jupiter.api.Test;

class GuestSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST_SPEC = """
            {"ociVersion":"1.2.1","process":{"args":["sh"],"cwd":"/","apparmorProfile":"docker-default"},
             "root":{"path":"rootfs"},
             "hooks":{"prestart":[{"path":"/usr/bin/hook"}]},
             "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
                       {"destination":"/etc/hosts","type":"bind","source":"/etc/hosts","options":["rbind","ro"]},
                       {"destination":"/data","source":"/srv/data","options":["rbind","rw"]}],
             "linux":{"cgroupsPath":"kubepods-besteffort.slice:cri-containerd:abc","devices":[{"path":"/dev/fuse"}],
                      "namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/cni-1"},{"type":"mount"}]}}
            """;

    @Test
    void hostOnlyPartsAreDroppedAndPathsPointIntoTheShare() throws Exception {
        List<String> shared = new ArrayList<>();
        byte[] out = GuestSpec.translate(
                GuestSpec.parse(HOST_SPEC.getBytes(StandardCharsets.UTF_8)),
                "c1",
                "/run/jvmm/share/c1/rootfs",
                (Path host, int index, boolean ro) -> {
                    shared.add(host + ":" + index + ":" + ro);
                    return "/run/jvmm/share/c1/mounts/" + index;
                });
        JsonNode spec = JSON.readTree(out);
        assertThat(spec.path("ociVersion").asText()).isEqualTo(GuestSpec.GUEST_OCI_VERSION);
        assertThat(spec.path("root").path("path").asText()).isEqualTo("/run/jvmm/share/c1/rootfs");
        assertThat(spec.has("hooks")).isFalse();
        assertThat(spec.path("process").has("apparmorProfile")).isFalse();
        assertThat(spec.path("linux").path("cgroupsPath").asText()).isEqualTo("/jvmm/c1");
        assertThat(spec.path("linux").has("devices")).isFalse();
        assertThat(spec.path("linux").path("namespaces").findValuesAsText("type"))
                .containsExactly("pid", "mount", "cgroup");
        assertThat(shared).containsExactly("/etc/hosts:1:true", "/srv/data:2:false");
        assertThat(spec.path("mounts").get(0).path("source").asText()).isEqualTo("proc");
        assertThat(spec.path("mounts").get(1).path("source").asText()).isEqualTo("/run/jvmm/share/c1/mounts/1");
    }

    /** What the guest gets besides the translated parts is the host's spec as it was, numbers to the last digit. */
    @Test
    void everythingElseReachesTheGuestUnchanged() throws Exception {
        String host = """
                {"ociVersion":"1.2.1","process":{"args":["sh","-c","echo \\u00fc"],"env":["A=1"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":1048576,"soft":1024}]},
                 "root":{"path":"rootfs","readonly":true},"hostname":"h","annotations":{"k":"v"},
                 "linux":{"resources":{"memory":{"limit":9223372036854775807,"swap":18446744073709551615},"cpu":{"shares":2,"quota":-1}},
                          "maskedPaths":["/proc/kcore"],"sysctl":{"net.ipv4.ip_forward":"1"}}}
                """;
        byte[] out = GuestSpec.translate(
                GuestSpec.parse(host.getBytes(StandardCharsets.UTF_8)), "c1", "rootfs", (h, i, ro) -> "unused");
        JsonNode expected = JSON.readTree(host);
        ((ObjectNode) expected).put("ociVersion", GuestSpec.GUEST_OCI_VERSION);
        var linux = (ObjectNode) expected.get("linux");
        linux.put("cgroupsPath", "/jvmm/c1");
        JsonNode actual = JSON.readTree(out);
        assertThat(actual).isEqualTo(expected);
        assertThat(new String(out, StandardCharsets.UTF_8))
                .contains("18446744073709551615")
                .contains("9223372036854775807");
    }

    @Test
    void malformedSpecsAreInvalidArguments() {
        for (String bad : List.of("not json", "[]", "{}", "{\"process\":{\"args\":[]}}", "{\"process\":{}}")) {
            assertThatThrownBy(() -> GuestSpec.parse(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isInstanceOf(TaskException.class)
                    .extracting(e -> ((TaskException) e).statusCode())
                    .isEqualTo(Code.INVALID_ARGUMENT);
        }
        assertThatThrownBy(() -> GuestSpec.translate(
                        GuestSpec.parse("""
                {"process":{"args":["sh"]},"mounts":[{"destination":"/x","type":"bind","source":"relative"}]}
                """.getBytes(StandardCharsets.UTF_8)), "c", "/r", (h, i, ro) -> "/x"))
                .isInstanceOf(TaskException.class)
                .hasMessageContaining("not an absolute path");
    }

    @Test
    void aContainerJoiningThePodNetworkLeavesNetSysctlsToTheGuest() throws Exception {
        String pause = """
                {"process":{"args":["pause"]},"annotations":{"io.kubernetes.cri.container-type":"sandbox",
                  "io.kubernetes.cri.sandbox-memory":"1073741824","io.kubernetes.cri.sandbox-cpu-quota":"200000",
                  "io.kubernetes.cri.sandbox-cpu-period":"100000"},
                 "linux":{"sysctl":{"net.ipv4.ip_unprivileged_port_start":"0","kernel.shm_rmid_forced":"1"},
                          "namespaces":[{"type":"network","path":"/run/netns/cni-2"},{"type":"cgroup"}]}}
                """;
        var spec = GuestSpec.parse(pause.getBytes(StandardCharsets.UTF_8));
        JsonNode out = JSON.readTree(GuestSpec.translate(spec, "p", "/r", (h, i, ro) -> "/x"));
        assertThat(out.path("linux").path("sysctl").properties())
                .extracting(Entry::getKey)
                .containsExactly("kernel.shm_rmid_forced");
        assertThat(out.path("linux").path("namespaces").findValuesAsText("type"))
                .containsExactly("cgroup");
        PauseContainer pod = PauseContainer.of(spec).orElseThrow();
        assertThat(pod.network()).isEqualTo(new NetworkPlan.PodNamespace(Path.of("/run/netns/cni-2")));
        assertThat(pod.resources().cpus()).contains(2);
        assertThat(pod.resources().memoryMib()).hasValue(1024);
        assertThat(PauseContainer.of(GuestSpec.parse(HOST_SPEC.getBytes(StandardCharsets.UTF_8))))
                .isEmpty();
    }

    @Test
    void theFirstSpecSaysWhichNetworkTheVmGets() {
        assertThat(PauseContainer.networkOf(GuestSpec.parse(HOST_SPEC.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(new NetworkPlan.PodNamespace(Path.of("/var/run/netns/cni-1")));
        assertThat(PauseContainer.networkOf(GuestSpec.parse("""
                {"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"network"},{"type":"pid"}]}}
                """.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(NetworkPlan.ISOLATED);
        assertThat(PauseContainer.networkOf(GuestSpec.parse("""
                {"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"pid"}]}}
                """.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(NetworkPlan.HOST);
    }
}
