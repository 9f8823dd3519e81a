package io.jvmm.vmm.contract;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A VM directory with stand-in kernel, initrd and runtime disk files, and a launcher that starts a
 * {@link RecordingApiServer} on the monitor's API socket and a harmless long-running process as the
 * "monitor" (its exit is what the driver watches). Firecracker and Cloud Hypervisor are not packaged
 * in Debian, so their APIs are checked against their OpenAPI specs instead of the binaries.
 */
final class ContractFixture implements AutoCloseable {
    final Path dir;
    final OpenApiSpec spec;
    /** The API server of the monitor launched last. */
    RecordingApiServer api;

    private final List<RecordingApiServer> servers = new ArrayList<>();

    ContractFixture(String specFile, String basePath) throws IOException {
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-ct");
        this.spec = OpenApiSpec.load(specFile, basePath);
        for (String f : List.of("vmlinuz", "initrd.img", "runtime.sqfs")) {
            Files.writeString(dir.resolve(f), f);
        }
        Files.createDirectories(dir.resolve("share"));
    }

    VmConfig config(boolean withShare) {
        return config("vm", withShare);
    }

    /** A VM of its own state directory {@code name}, for a second VM (a restored one) in one test. */
    VmConfig config(String name, boolean withShare) {
        return new VmConfig(
                dir.resolve(name),
                dir.resolve("vmlinuz"),
                dir.resolve("initrd.img"),
                Optional.of(dir.resolve("runtime.sqfs")),
                withShare ? Optional.of(dir.resolve("share")) : Optional.empty(),
                2,
                512,
                3,
                Accel.TCG,
                "");
    }

    MonitorLauncher launcher() {
        return (name, command, apiSocket, log) -> {
            try {
                api = new RecordingApiServer(spec, apiSocket);
                servers.add(api);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return SupervisedProcess.start(name + "-stand-in", List.of("sleep", "3600"), log);
        };
    }

    @Override
    public void close() throws IOException {
        for (RecordingApiServer server : servers) {
            server.close();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
