package archfixture.api;

import archfixture.ttrpc.Wire;

/** Fixture violation: api does not need ttrpc. */
public class UsesTtrpc {
    public Object wire() {
        return new Wire();
    }
}
