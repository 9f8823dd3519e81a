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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Pods as the kubelet drives them through CRI, each with one long-lived container: started
 * (RunPodSandbox, then the container created and started) and removed (StopPodSandbox, RemovePodSandbox);
 * for the soak, a whole life with an ExecSync answered in between, whose ids are kept whatever failed.
 */
public final class PodChurn {
    private final CriClient cri;
    private final Path logRoot;

    public PodChurn(CriClient cri, Path logRoot) {
        this.cri = cri;
        this.logRoot = logRoot;
    }

    /** A pod's configuration as the kubelet sends it for a pod without resources: named, in "default". */
    public static PodSandboxConfig podConfig(String name, Path logDirectory) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder()
                        .setName(name)
                        .setNamespace("default")
                        .setUid(UUID.randomUUID().toString()))
                .setHostname(name)
                .setLogDirectory(logDirectory.toString())
                .build();
    }

    /** A pod started here: its sandbox's id, its container's (null until created). */
    public record Pod(String name, String id, String container) {}

    /** What one pod's life left to look for (its sandbox and container ids) and why it failed, if it did. */
    public record Outcome(List<String> ids, String failure) {}

    /**
     * RunPodSandbox with {@code handler}, then a container ({@code sleep 3600}) created and started in it.
     * {@code started} gets the pod as soon as its sandbox runs, so a failure after that can still remove it.
     */
    public Pod start(String handler, String name, List<Pod> started) throws IOException {
        return startAnnotated(handler, name, Map.of(), started);
    }

    /** The same, the pod's sandbox config carrying {@code annotations}. */
    public Pod startAnnotated(String handler, String name, Map<String, String> annotations, List<Pod> started)
            throws IOException {
        PodSandboxConfig config = podConfig(name, Files.createTempDirectory(logRoot, "logs")).toBuilder()
                .putAllAnnotations(annotations)
                .build();
        String id = cri.runPodSandbox(RunPodSandboxRequest.newBuilder()
                        .setConfig(config)
                        .setRuntimeHandler(handler)
                        .build())
                .getPodSandboxId();
        started.add(new Pod(name, id, null));
        String container = cri.createContainer(CreateContainerRequest.newBuilder()
                        .setPodSandboxId(id)
                        .setSandboxConfig(config)
                        .setConfig(ContainerConfig.newBuilder()
                                .setMetadata(ContainerMetadata.newBuilder().setName("app"))
                                .setImage(ImageSpec.newBuilder().setImage(PrivateContainerd.IMAGE))
                                .addAllCommand(List.of("sleep", "3600"))
                                .setLogPath("app.log"))
                        .build())
                .getContainerId();
        Pod pod = new Pod(name, id, container);
        started.set(started.size() - 1, pod);
        cri.startContainer(container);
        return pod;
    }

    /** StopPodSandbox and RemovePodSandbox (the container goes with its pod). */
    public void remove(Pod pod) {
        cri.stopPodSandbox(pod.id());
        cri.removePodSandbox(pod.id());
    }

    /** A pod started, an exec answered in its container, the pod removed. */
    public Outcome live(String handler, String name) {
        List<Pod> started = new ArrayList<>(1);
        String failure = null;
        try {
            Pod pod = start(handler, name, started);
            ExecSyncResponse answer = cri.execSync(pod.container(), 60, "echo", name);
            if (answer.getExitCode() != 0
                    || !answer.getStdout().toStringUtf8().strip().equals(name)) {
                failure = name + ": exec answered " + answer.getExitCode() + " "
                        + answer.getStdout().toStringUtf8().strip();
            }
        } catch (IOException | RuntimeException e) {
            failure = name + ": " + e.getMessage();
        } finally {
            for (Pod pod : started) {
                try {
                    remove(pod);
                } catch (RuntimeException e) {
                    failure = (failure == null ? name + ": " : failure + "; ") + "removing: " + e.getMessage();
                }
            }
        }
        List<String> ids = new ArrayList<>();
        for (Pod pod : started) {
            ids.add(pod.id());
            if (pod.container() != null) {
                ids.add(pod.container());
            }
        }
        return new Outcome(ids, failure);
    }
}
