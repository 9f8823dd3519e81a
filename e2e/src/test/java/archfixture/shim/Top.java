package archfixture.shim;

import archfixture.task.Service;

/** Fixture: the top layer using the task layer (allowed). */
public class Top {
    public Object service() {
        return new Service();
    }
}
