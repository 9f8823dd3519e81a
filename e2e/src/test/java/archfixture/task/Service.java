package archfixture.task;

import archfixture.vmm.Monitor;

/** Fixture: the task layer using the vmm layer (allowed). */
public class Service {
    public Object monitor() {
        return new Monitor();
    }
}
