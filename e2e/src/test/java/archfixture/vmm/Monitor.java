package archfixture.vmm;

import archfixture.ttrpc.Wire;

/** Fixture: a VM monitor built on the api and ttrpc layers (allowed). */
public class Monitor {
    public Object wire() {
        return new Wire();
    }
}
