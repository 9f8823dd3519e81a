package archfixture.shim;

/** Fixture: the top layer using the task layer (allowed). */
public class Top {
    public Object service() {
        return new archfixture.task.Service();
    }
}
