package archfixture.api;

import archfixture.shim.Top;

/** Fixture violation: a lower layer that imports the top one. */
public class ReachesUp {
    public Object top() {
        return new Top();
    }
}
