package archfixture.api;

/** Fixture violation: api does not need ttrpc. */
public class UsesTtrpc {
    public Object wire() {
        return new archfixture.ttrpc.Wire();
    }
}
