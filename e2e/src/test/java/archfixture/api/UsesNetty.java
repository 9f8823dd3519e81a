package archfixture.api;

import io.netty.buffer.Unpooled;

/** Fixture violation: Netty outside the ttrpc layer. */
public class UsesNetty {
    public Object buffer() {
        return Unpooled.EMPTY_BUFFER;
    }
}
