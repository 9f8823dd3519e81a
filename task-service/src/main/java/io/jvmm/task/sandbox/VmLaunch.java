package io.jvmm.task.sandbox;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestNic;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmUser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * How a sandbox's VM is to be started, decided before anything runs: its configuration, the network it is
 * wired into (a pod's namespace gets a card with the pod's address, attached here; the host's network a
 * user-mode card; otherwise none), whether it comes from a template, and whether the container's root
 * travels as a disk instead of over the share.
 *
 * @param network the pod's network, attached: its owner (the sandbox) detaches it
 * @param guestNetwork the guest's address, gateway and MTU as the guest agent reads them ("" for none)
 */
record VmLaunch(
        VmConfig config,
        Optional<PodNetwork> network,
        String guestNetwork,
        Optional<GuestSnapshot> template,
        RootTransport transport) {
    private static final Logger LOG = LogManager.getLogger(VmLaunch.class);

    boolean fromTemplate() {
        return template.isPresent();
    }

    /**
     * {@code templatesOn}: the configuration has templates; the VM is restored if its template is there.
     * {@code kind} (what the sandbox holds), {@code diskAsked} and {@code diskFits} (a lone root asked for
     * as a disk by the configuration, and its image's room) decide whether
     * the containers' roots travel on disks and the VM has no share: without vhost-user a VM can be
     * checkpointed, and a restored one's memory stays a copy-on-write mapping of the template's
     * ({@link RootTransport}, docs/snapshots.md).
     */
    static VmLaunch plan(
            SandboxSettings settings,
            Path stateDir,
            Path shareDir,
            VmSize size,
            NetworkPlan plan,
            boolean templatesOn,
            SandboxKind kind,
            boolean diskAsked,
            boolean diskFits,
            TemplateMaker maker)
            throws IOException {
        Accel accel = AccelChoice.resolve(settings); // before anything is attached that would need undoing
        Optional<VmmUser> vmmUser = settings.vmmAccount(); // read from the host's accounts once
        Optional<GuestSnapshot> template = templatesOn ? template(settings, size, accel, maker) : Optional.empty();
        boolean templated = template.isPresent();
        Optional<GuestNic> nic = Optional.empty();
        Optional<PodNetwork> network = Optional.empty();
        String guestNetwork = "";
        switch (plan) {
            case NetworkPlan.PodNamespace pod -> {
                PodNetwork attached = PodNetwork.attach(pod.netns(), vmmUser);
                network = Optional.of(attached);
                nic = Optional.of(attached.nic());
                guestNetwork = attached.guestConfig();
            }
            case NetworkPlan.Host host -> {
                nic = Optional.of(new GuestNic.HostUser());
                guestNetwork = PodNetwork.guestConfig(GuestNic.HostUser.GUEST_ADDRESS, GuestNic.HostUser.GATEWAY, 1500);
            }
            case NetworkPlan.Isolated none -> {}
        }
        // A template's guest learns its network from SetupGuest; a cold boot from its kernel command line.
        String kernelArgs = templated || guestNetwork.isEmpty()
                ? settings.extraKernelArgs()
                : (settings.extraKernelArgs() + " jvmm.net=" + guestNetwork).strip();
        RootTransport transport = RootTransport.of(templated, kind, plan, diskAsked, diskFits);
        VmConfig config = new VmConfig(
                stateDir,
                settings.kernel(),
                settings.initrd(),
                settings.runtimeDisk(),
                transport.hasShare() ? Optional.of(shareDir) : Optional.empty(),
                size.vcpus(),
                size.memoryMib(),
                3,
                accel,
                kernelArgs,
                nic,
                settings.cpuModel(),
                vmmUser,
                settings.hugePages());
        return new VmLaunch(config, network, guestNetwork, template, transport);
    }

    /**
     * The template to restore: none if it is not there yet, and then the maker starts making it while this
     * VM boots cold (unless a maker is at it already).
     */
    private static Optional<GuestSnapshot> template(
            SandboxSettings settings, VmSize size, Accel accel, TemplateMaker maker) throws IOException {
        GuestSnapshot template = VmTemplates.locate(settings, size, accel);
        Optional<GuestSnapshot> ready = VmTemplates.ready(settings, template);
        if (ready.isEmpty()) {
            boolean making = VmTemplates.beingMade(template);
            LOG.info(
                    "no VM template of {} vCPU, {} MiB yet: this VM boots cold while the template is {}",
                    size.vcpus(),
                    size.memoryMib(),
                    making ? "being made" : "made beside it");
            if (!making) {
                maker.makeBeside(settings, size, template);
            }
        }
        return ready;
    }

    /** A VM started from a container's checkpoint: its size as saved, its root on a disk, no share, no card. */
    static VmConfig restoring(SandboxSettings settings, Path stateDir, ContainerCheckpoint.Manifest m, Accel accel) {
        return new VmConfig(
                        stateDir,
                        settings.kernel(),
                        settings.initrd(),
                        settings.runtimeDisk(),
                        Optional.empty(),
                        m.vcpus(),
                        m.memoryMib(),
                        3,
                        accel,
                        settings.extraKernelArgs())
                .withCpuModel(settings.cpuModel())
                .withVmmUser(settings.vmmAccount());
    }
}
