package io.jvmm.e2e.cri;

import io.jvmm.api.cri.v1.ContainerConfig;
import io.jvmm.api.cri.v1.ContainerMetadata;
import io.jvmm.api.cri.v1.CreateContainerRequest;
import io.jvmm.api.cri.v1.ExecSyncResponse;
import io.jvmm.api.cri.v1.ImageSpec;
import io.jvmm.api.cri.v1.PodSandboxConfig;
import io.jvmm.api.cri.v1.PodSandboxMetadata;
import io.jvmm.api.cri.v1.RunPodSandboxRequest;
import io.jvmm.e2e.containerd.PrivateContainerd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * One pod's life as the kubelet drives it through CRI, for the soak: RunPodSandbox with a handler, one
 * long-lived container created and started, an ExecSync answered in it, then StopPodSandbox and
 * RemovePodSandbox. The ids it made are kept for the census, whatever failed.
 */
public final class PodChurn {
    private final CriClient cri;
    private final Path logRoot;

    public PodChurn(CriClient cri, Path logRoot) {
        this.cri = cri;
        this.logRoot = logRoot;
    }

    /** What one pod's life left to look for (its sandbox and container ids) and why it failed, if it did. */
    public record Outcome(List<String> ids, String failure) {}

    public Outcome live(String handler, String name) {
        String pod = null;
        String container = null;
        String failure = null;
        try {
            PodSandboxConfig config = PodSandboxConfig.newBuilder()
                    .setMetadata(PodSandboxMetadata.newBuilder()
                            .setName(name)
                            .setNamespace("default")
                            .setUid(UUID.randomUUID().toString()))
                    .setHostname(name)
                    .setLogDirectory(Files.createTempDirectory(logRoot, "logs").toString())
                    .build();
            pod = cri.runPodSandbox(RunPodSandboxRequest.newBuilder()
                            .setConfig(config)
                            .setRuntimeHandler(handler)
                            .build())
                    .getPodSandboxId();
            container = cri.createContainer(CreateContainerRequest.newBuilder()
                            .setPodSandboxId(pod)
                            .setSandboxConfig(config)
                            .setConfig(ContainerConfig.newBuilder()
                                    .setMetadata(ContainerMetadata.newBuilder().setName("app"))
                                    .setImage(ImageSpec.newBuilder().setImage(PrivateContainerd.IMAGE))
                                    .addAllCommand(List.of("sleep", "3600"))
                                    .setLogPath("app.log"))
                            .build())
                    .getContainerId();
            cri.startContainer(container);
            ExecSyncResponse answer = cri.execSync(container, 60, "echo", name);
            if (answer.getExitCode() != 0
                    || !answer.getStdout().toStringUtf8().strip().equals(name)) {
                failure = name + ": exec answered " + answer.getExitCode() + " "
                        + answer.getStdout().toStringUtf8().strip();
            }
        } catch (IOException | RuntimeException e) {
            failure = name + ": " + e.getMessage();
        } finally {
            if (pod != null) {
                try {
                    cri.stopPodSandbox(pod);
                    cri.removePodSandbox(pod);
                } catch (RuntimeException e) {
                    failure = (failure == null ? name + ": " : failure + "; ") + "removing: " + e.getMessage();
                }
            }
        }
        return new Outcome(Stream.of(pod, container).filter(Objects::nonNull).toList(), failure);
    }
}
