package io.jvmm.e2e.containerd;

import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CRI part of a private containerd's configuration: the runc and jvmm runtimes (jvmm twice: the shim
 * sandboxer and the pause-container model), and a CNI bridge
 * network of the tests' own (no gateway, no masquerading: pods get addresses inside their namespaces and
 * the host gets nothing but an address-less bridge, removed at the end). IPAM state and network
 * namespaces live under the containerd's own directory.
 */
public final class CriNetwork {
    /** containerd's namespace for CRI. */
    public static final String NAMESPACE = "k8s.io";
    /** The pause image CRI needs for the pause-container model, built offline with busybox. */
    public static final String PAUSE_IMAGE = "localhost/jvmm/pause:latest";

    static final String BRIDGE = "jvmmcni0";
    public static final String SUBNET_PREFIX = "10.244.77.";

    /**
     * The containerd 2.x snippet operators merge into their configuration, imported as shipped (not a copy):
     * every pod of handler {@code jvmm} in the tests runs through it. Its shim reads the configuration the
     * launcher names ($JVMM_CONFIG): the snippet has no options table (containerd 2.1-2.3 fail every
     * container start of a shim-sandboxer pod with one; fixed in 2.4.0).
     */
    static final String SHIPPED_SNIPPET = "packaging/kubernetes/containerd-2.x.toml";

    private CriNetwork() {}

    /** {@link #SHIPPED_SNIPPET} in this checkout. */
    static Path shippedSnippet() {
        return GoPeer.repoRoot().resolve(SHIPPED_SNIPPET);
    }

    /** The top-level line that imports {@code snippet}. */
    static String importsLine(Path snippet) {
        return "imports = ['" + snippet + "']\n";
    }

    static String containerdConfig(Path dir, Path jvmmConfig) {
        return """
                [plugins.'io.containerd.cri.v1.images']
                  snapshotter = 'native'
                  [plugins.'io.containerd.cri.v1.images'.pinned_images]
                    sandbox = '%2$s'
                [plugins.'io.containerd.cri.v1.runtime']
                  # Lowering oom_score_adj is refused on this kind of machine.
                  restrict_oom_score_adj = true
                  netns_mounts_under_state_dir = true
                  enable_selinux = false
                  [plugins.'io.containerd.cri.v1.runtime'.cni]
                    bin_dirs = ['/usr/lib/cni']
                    conf_dir = '%1$s/cni'
                  [plugins.'io.containerd.cri.v1.runtime'.containerd]
                    default_runtime_name = 'runc'
                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
                      runtime_type = 'io.containerd.runc.v2'
                      snapshotter = 'native'
                    # Runtime jvmm (the shim sandboxer) is the shipped snippet's: imported, see SHIPPED_SNIPPET.
                    # The same runtime in the pause-container model (containerd's default sandboxer; 1.6/1.7's only one).
                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.jvmm-podsandbox]
                      runtime_type = 'io.containerd.jvmm.v2'
                      sandboxer = 'podsandbox'
                      snapshotter = 'native'
                      # Per-pod settings reach the sandbox container's spec only through this filter.
                      pod_annotations = ['jvmm.io/*']
                      # Its configuration named through CRI's runtime options (runtimeoptions.v1.Options).
                      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.jvmm-podsandbox.options]
                        ConfigPath = '%3$s'
                """.formatted(dir, PAUSE_IMAGE, jvmmConfig);
    }

    static void writeConfig(Path dir) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("cni"));
        Files.writeString(conf.resolve("10-jvmm-test.conflist"), """
                {
                  "cniVersion": "1.0.0",
                  "name": "jvmm-test",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%2$s",
                      "isGateway": false,
                      "ipMasq": false,
                      "ipam": {
                        "type": "host-local",
                        "dataDir": "%1$s/cni-ipam",
                        "ranges": [[{"subnet": "%3$s0/24"}]]
                      }
                    }
                  ]
                }
                """.formatted(dir, BRIDGE, SUBNET_PREFIX));
    }

    /** Removes the tests' bridge from the host (the bridge plugin made it; CNI DEL leaves it). */
    static void removeBridge() throws IOException, InterruptedException {
        if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
            new ProcessBuilder("ip", "link", "del", BRIDGE).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
