package io.jvmm.task.sandbox;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonArray;
import io.jvmm.api.json.JsonObject;
import io.jvmm.vmm.GuestNic;
import io.jvmm.vmm.VmmUser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Carries a pod's network into its VM. CNI gave the pod's namespace an interface ({@code eth0}) with the
 * pod's address; jvmm adds a tap device there and mirrors every frame between the two with tc (ingress
 * of one redirected to egress of the other, as Kata's tc-filter model does). The guest's card gets the
 * interface's MAC address and the guest configures the pod's address on it, so the pod IP answers from
 * inside the VM. IPv4 only for now.
 */
public final class PodNetwork {
    private static final Logger LOG = LogManager.getLogger(PodNetwork.class);
    /** CRI's name for the pod's interface. */
    static final String POD_INTERFACE = "eth0";

    static final String TAP = "jvmmtap0";

    private final Path netns;
    private final String mac;
    private final String cidr;
    private final Optional<String> gateway;
    private final int mtu;

    private PodNetwork(Path netns, String mac, String cidr, Optional<String> gateway, int mtu) {
        this.netns = netns;
        this.mac = mac;
        this.cidr = cidr;
        this.gateway = gateway;
        this.mtu = mtu;
    }

    /**
     * Reads the pod interface's addresses, then makes the tap (owned by the VMM's user, who opens it) and the
     * two mirror filters.
     */
    public static PodNetwork attach(Path netns, Optional<VmmUser> owner) throws IOException {
        JsonObject link = onlyElement(Json.parse(inNamespace(netns, "ip", "-j", "addr", "show", "dev", POD_INTERFACE)));
        String cidr = null;
        for (JsonObject a : link.array("addr_info").objects()) {
            if (a.text("family").equals("inet")) {
                cidr = a.text("local") + "/" + a.number("prefixlen", 0);
                break;
            }
        }
        if (cidr == null) {
            throw new IOException("the pod's " + POD_INTERFACE + " in " + netns + " has no IPv4 address");
        }
        Optional<String> gateway = Optional.empty();
        if (Json.parse(inNamespace(netns, "ip", "-j", "-4", "route", "show", "default")) instanceof JsonArray routes) {
            for (JsonObject r : routes.objects()) {
                gateway = Optional.of(r.text("gateway")).filter(g -> !g.isEmpty());
            }
        }
        PodNetwork network = new PodNetwork(netns, link.text("address"), cidr, gateway, (int) link.number("mtu", 1500));
        network.wire(owner);
        return network;
    }

    private static JsonObject onlyElement(Object answer) throws IOException {
        if (!(answer instanceof JsonArray array)
                || array.size() != 1
                || !(array.getFirst() instanceof JsonObject element)) {
            throw new IOException("unexpected answer from ip: " + Json.write(answer));
        }
        return element;
    }

    private void wire(Optional<VmmUser> owner) throws IOException {
        try {
            List<String> add = new ArrayList<>(List.of("ip", "tuntap", "add", TAP, "mode", "tap"));
            owner.ifPresent(
                    u -> add.addAll(List.of("user", Integer.toString(u.uid()), "group", Integer.toString(u.gid()))));
            inNamespace(netns, add.toArray(String[]::new));
            inNamespace(netns, "ip", "link", "set", TAP, "mtu", Integer.toString(mtu), "up");
            mirror(POD_INTERFACE, TAP);
            mirror(TAP, POD_INTERFACE);
        } catch (IOException e) {
            detach();
            throw e;
        }
        LOG.info("pod network {} ({}, gateway {}) mirrored to {} in {}", cidr, mac, gateway.orElse("none"), TAP, netns);
    }

    private void mirror(String from, String to) throws IOException {
        inNamespace(netns, "tc", "qdisc", "add", "dev", from, "ingress");
        inNamespace(
                netns,
                "tc",
                "filter",
                "add",
                "dev",
                from,
                "parent",
                "ffff:",
                "protocol",
                "all",
                "u32",
                "match",
                "u8",
                "0",
                "0",
                "action",
                "mirred",
                "egress",
                "redirect",
                "dev",
                to);
    }

    /** The guest's card: in the pod's namespace, on the tap, with the pod interface's MAC. */
    public GuestNic nic() {
        return new GuestNic.PodTap(netns, TAP, mac);
    }

    /** What the guest configures on its card (see {@link #guestConfig(String, String, int)}). */
    public String guestConfig() {
        return guestConfig(cidr, gateway.orElse(""), mtu);
    }

    /**
     * {@code <address/prefix>,<gateway or empty>,<mtu>}: what the guest configures on its card, read by its
     * init from {@code jvmm.net=} at boot, or sent by SetupGuest to a guest restored from a template.
     */
    static String guestConfig(String cidr, String gateway, int mtu) {
        return cidr + "," + gateway + "," + mtu;
    }

    /** Removes the tap and the filters (best effort: CNI may already have removed the namespace). */
    public void detach() {
        for (List<String> command : List.of(
                List.of("tc", "qdisc", "del", "dev", POD_INTERFACE, "ingress"), List.of("ip", "link", "del", TAP))) {
            try {
                inNamespace(netns, command.toArray(String[]::new));
            } catch (IOException e) {
                LOG.debug("network clean-up in {}: {}", netns, e.getMessage());
            }
        }
    }

    private static String inNamespace(Path netns, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        full.addAll(List.of(command));
        return HostCommand.run(full);
    }
}
