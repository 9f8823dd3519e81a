package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.ttrpc.Code;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor gathers every shim's series from their sockets, with real sockets and registries. */
class MonitorCommandTest {
    @TempDir
    Path stateRoot;

    @Test
    void everyLiveShimsSeriesAreServedTogetherAndDeadSocketsCounted() throws Exception {
        ShimMetrics a = new ShimMetrics(Map.of("sandbox_id", "a", "namespace", "default"), List::of, Map::of);
        ShimMetrics b = new ShimMetrics(Map.of("sandbox_id", "b", "namespace", "default"), List::of, Map::of);
        a.callEnded("containerd.task.v2.Task", "State", Code.OK, 1000);
        b.callEnded("containerd.task.v2.Task", "State", Code.NOT_FOUND, 1000);
        Path dead = MetricsSockets.of(stateRoot, "default", "dead");
        try (MetricsSocket sa = MetricsSocket.serve(MetricsSockets.of(stateRoot, "default", "a"), a::scrape);
                MetricsSocket sb = MetricsSocket.serve(MetricsSockets.of(stateRoot, "default", "b"), b::scrape)) {
            Files.writeString(dead, ""); // a killed shim's leftover: a file nobody listens on
            String text = new MonitorCommand(stateRoot).scrape();
            assertThat(text.lines().filter(l -> l.equals("# TYPE jvmm_ttrpc_calls_seconds summary")))
                    .hasSize(1);
            assertThat(text)
                    .containsPattern("jvmm_ttrpc_calls_seconds_count\\{code=\"OK\",[^}]*sandbox_id=\"a\"[^}]*\\} 1")
                    .containsPattern(
                            "jvmm_ttrpc_calls_seconds_count\\{code=\"NOT_FOUND\",[^}]*sandbox_id=\"b\"[^}]*\\} 1")
                    .contains("jvmm_monitor_shims 2\n")
                    .contains("jvmm_monitor_shims_unanswered 1\n");
        }
        assertThat(new MonitorCommand(stateRoot).scrape()).contains("jvmm_monitor_shims 0\n");
    }

    @Test
    void listenAddressesAreHostAndPort() {
        assertThat(MonitorCommand.address("127.0.0.1:9464")).isEqualTo(new InetSocketAddress("127.0.0.1", 9464));
        assertThat(MonitorCommand.address(":9464").getPort()).isEqualTo(9464);
        assertThat(MonitorCommand.address("[::1]:80").getAddress().isLoopbackAddress())
                .isTrue();
    }
}
