package io.jvmm.e2e.cri;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.jvmm.api.cri.v1.AttachRequest;
import io.jvmm.api.cri.v1.AttachResponse;
import io.jvmm.api.cri.v1.ContainerStatusRequest;
import io.jvmm.api.cri.v1.ContainerStatusResponse;
import io.jvmm.api.cri.v1.CreateContainerRequest;
import io.jvmm.api.cri.v1.CreateContainerResponse;
import io.jvmm.api.cri.v1.ExecRequest;
import io.jvmm.api.cri.v1.ExecResponse;
import io.jvmm.api.cri.v1.ExecSyncRequest;
import io.jvmm.api.cri.v1.ExecSyncResponse;
import io.jvmm.api.cri.v1.PodSandboxStatusRequest;
import io.jvmm.api.cri.v1.PodSandboxStatusResponse;
import io.jvmm.api.cri.v1.RemoveContainerRequest;
import io.jvmm.api.cri.v1.RemoveContainerResponse;
import io.jvmm.api.cri.v1.RemovePodSandboxRequest;
import io.jvmm.api.cri.v1.RemovePodSandboxResponse;
import io.jvmm.api.cri.v1.RunPodSandboxRequest;
import io.jvmm.api.cri.v1.RunPodSandboxResponse;
import io.jvmm.api.cri.v1.StartContainerRequest;
import io.jvmm.api.cri.v1.StartContainerResponse;
import io.jvmm.api.cri.v1.StopContainerRequest;
import io.jvmm.api.cri.v1.StopContainerResponse;
import io.jvmm.api.cri.v1.StopPodSandboxRequest;
import io.jvmm.api.cri.v1.StopPodSandboxResponse;
import io.jvmm.api.cri.v1.UpdateContainerResourcesRequest;
import io.jvmm.api.cri.v1.UpdateContainerResourcesResponse;
import io.jvmm.api.cri.v1.VersionRequest;
import io.jvmm.api.cri.v1.VersionResponse;
import io.jvmm.e2e.containerd.PrivateContainerd;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kubernetes CRI client (the kubelet's side of runtime.v1.RuntimeService) over gRPC on containerd's
 * socket, as the e2e tests use it. Method descriptors are built from the generated messages: no gRPC
 * code generator is needed. Every call has a deadline.
 */
public final class CriClient implements AutoCloseable {
    private static final String SERVICE = "runtime.v1.RuntimeService";
    private final ManagedChannel channel;
    private final Duration deadline;
    private final PrivateContainerd containerd;

    private CriClient(ManagedChannel channel, Duration deadline, PrivateContainerd containerd) {
        this.channel = channel;
        this.deadline = deadline;
        this.containerd = containerd;
    }

    /**
     * A client of {@code containerd}'s CRI server, which is told the ids of the pods and containers made
     * through it (their shims' files are looked for when it closes). {@code deadline}: the limit on every
     * call (booting a pod's VM under TCG takes tens of seconds).
     */
    public static CriClient connect(PrivateContainerd containerd, Duration deadline) {
        return new CriClient(
                Grpc.newChannelBuilder("unix://" + containerd.socket(), InsecureChannelCredentials.create())
                        .build(),
                deadline,
                containerd);
    }

    public VersionResponse version() {
        return call(
                "Version", VersionRequest.newBuilder().setVersion("v1").build(), VersionResponse.getDefaultInstance());
    }

    public RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest r) {
        RunPodSandboxResponse response = call("RunPodSandbox", r, RunPodSandboxResponse.getDefaultInstance());
        containerd.noteId(response.getPodSandboxId());
        return response;
    }

    public StopPodSandboxResponse stopPodSandbox(String id) {
        return call(
                "StopPodSandbox",
                StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build(),
                StopPodSandboxResponse.getDefaultInstance());
    }

    public RemovePodSandboxResponse removePodSandbox(String id) {
        return call(
                "RemovePodSandbox",
                RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build(),
                RemovePodSandboxResponse.getDefaultInstance());
    }

    public PodSandboxStatusResponse podSandboxStatus(String id, boolean verbose) {
        return call(
                "PodSandboxStatus",
                PodSandboxStatusRequest.newBuilder()
                        .setPodSandboxId(id)
                        .setVerbose(verbose)
                        .build(),
                PodSandboxStatusResponse.getDefaultInstance());
    }

    public CreateContainerResponse createContainer(CreateContainerRequest r) {
        CreateContainerResponse response = call("CreateContainer", r, CreateContainerResponse.getDefaultInstance());
        containerd.noteId(response.getContainerId());
        return response;
    }

    public StartContainerResponse startContainer(String id) {
        return call(
                "StartContainer",
                StartContainerRequest.newBuilder().setContainerId(id).build(),
                StartContainerResponse.getDefaultInstance());
    }

    public StopContainerResponse stopContainer(String id, long timeoutSeconds) {
        return call(
                "StopContainer",
                StopContainerRequest.newBuilder()
                        .setContainerId(id)
                        .setTimeout(timeoutSeconds)
                        .build(),
                StopContainerResponse.getDefaultInstance());
    }

    public RemoveContainerResponse removeContainer(String id) {
        return call(
                "RemoveContainer",
                RemoveContainerRequest.newBuilder().setContainerId(id).build(),
                RemoveContainerResponse.getDefaultInstance());
    }

    public ContainerStatusResponse containerStatus(String id) {
        return call(
                "ContainerStatus",
                ContainerStatusRequest.newBuilder().setContainerId(id).build(),
                ContainerStatusResponse.getDefaultInstance());
    }

    public UpdateContainerResourcesResponse updateContainerResources(UpdateContainerResourcesRequest r) {
        return call("UpdateContainerResources", r, UpdateContainerResourcesResponse.getDefaultInstance());
    }

    public ExecSyncResponse execSync(String containerId, long timeoutSeconds, String... cmd) {
        return call(
                "ExecSync",
                ExecSyncRequest.newBuilder()
                        .setContainerId(containerId)
                        .addAllCmd(List.of(cmd))
                        .setTimeout(timeoutSeconds)
                        .build(),
                ExecSyncResponse.getDefaultInstance());
    }

    /** Exec through containerd's streaming server: answers the URL where the streams run. */
    public String exec(ExecRequest r) {
        return call("Exec", r, ExecResponse.getDefaultInstance()).getUrl();
    }

    /** Attach to a container's stdio through containerd's streaming server: answers the URL. */
    public String attach(AttachRequest r) {
        return call("Attach", r, AttachResponse.getDefaultInstance()).getUrl();
    }

    private <Q extends Message, R extends Message> R call(String method, Q request, R responseType) {
        @SuppressWarnings("unchecked")
        MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(ProtoUtils.marshaller((Q) request.getDefaultInstanceForType()))
                .setResponseMarshaller(ProtoUtils.marshaller(responseType))
                .build();
        return ClientCalls.blockingUnaryCall(
                channel,
                descriptor,
                CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS),
                request);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
