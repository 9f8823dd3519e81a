package io.jvmm.vmm;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** The guest's network card: wired into a pod's network namespace, or user-mode networking through the host. */
public sealed interface GuestNic {

    /**
     * A card in a pod's network namespace: the monitor runs in {@code netns} and attaches to the tap device
     * {@code tap} made there; the card carries {@code mac} (the address the pod's interface has, so its
     * neighbours need not learn a new one).
     */
    record PodTap(Path netns, String tap, String mac) implements GuestNic {
        private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
        private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

        public PodTap {
            if (netns == null || !netns.isAbsolute()) {
                throw new VmException.InvalidConfig("network namespace must be an absolute path, not " + netns);
            }
            if (tap == null || !IFNAME.matcher(tap).matches()) {
                throw new VmException.InvalidConfig("tap device name \"" + tap + "\" is not a valid interface name");
            }
            if (mac == null || !MAC.matcher(mac).matches()) {
                throw new VmException.InvalidConfig("MAC address \"" + mac + "\" is not of the form aa:bb:cc:dd:ee:ff");
            }
        }
    }

    /**
     * User-mode networking (QEMU's slirp): the guest's connections leave through the host's own network
     * stack, as a host-network pod's would; nothing can connect in. The guest sees {@link #GUEST_ADDRESS}
     * behind the gateway {@link #GATEWAY}, which also stands for the host's loopback.
     */
    record HostUser() implements GuestNic {
        public static final String GUEST_ADDRESS = "10.0.2.15/24";
        public static final String GATEWAY = "10.0.2.2";
    }
}
