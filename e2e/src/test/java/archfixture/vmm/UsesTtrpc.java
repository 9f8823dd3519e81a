package archfixture.vmm;

/** Fixture violation: the VMM layer speaks no ttrpc. */
public class UsesTtrpc {
    public Object wire() {
        return new archfixture.ttrpc.Wire();
    }
}
