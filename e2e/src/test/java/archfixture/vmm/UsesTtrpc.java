package archfixture.vmm;

import archfixture.ttrpc.Wire;

/** Fixture violation: the VMM layer speaks no ttrpc. */
public class UsesTtrpc {
    public Object wire() {
        return new Wire();
    }
}
