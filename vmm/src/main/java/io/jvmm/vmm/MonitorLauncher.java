package io.jvmm.vmm;

import java.nio.file.Path;
import java.util.List;

/**
 * Starts a monitor process whose API listens on a unix socket. The default runs the monitor's binary
 * under supervision; contract tests substitute a recording API server where the binary cannot be
 * installed (Firecracker and Cloud Hypervisor are not in Debian).
 */
@FunctionalInterface
public interface MonitorLauncher {
    SupervisedProcess launch(String name, List<String> command, Path apiSocket, Path log);

    MonitorLauncher PROCESS = (name, command, apiSocket, log) -> SupervisedProcess.start(name, command, log);
}
