package archfixture.api;

/** Fixture violation: a lower layer that imports the top one. */
public class ReachesUp {
    public Object top() {
        return new archfixture.shim.Top();
    }
}
