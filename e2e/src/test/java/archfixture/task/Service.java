package archfixture.task;

/** Fixture: the task layer using the vmm layer (allowed). */
public class Service {
    public Object monitor() {
        return new archfixture.vmm.Monitor();
    }
}
