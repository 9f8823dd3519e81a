package archfixture.guest;

import archfixture.ttrpc.transport.Connection;

/** Fixture violation: the guest reaching into ttrpc's transport. */
public class UsesTransport {
    public Object connection() {
        return new Connection();
    }
}
