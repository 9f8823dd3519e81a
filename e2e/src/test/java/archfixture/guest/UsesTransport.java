package archfixture.guest;

/** Fixture violation: the guest reaching into ttrpc's transport. */
public class UsesTransport {
    public Object connection() {
        return new archfixture.ttrpc.transport.Connection();
    }
}
