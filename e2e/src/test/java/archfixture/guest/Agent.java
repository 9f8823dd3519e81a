package archfixture.guest;

import archfixture.vmm.Monitor;

/** Fixture violation: the guest agent reaching into a host-side layer. */
public class Agent {
    public Object monitor() {
        return new Monitor();
    }
}
