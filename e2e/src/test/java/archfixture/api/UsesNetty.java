package archfixture.api;

/** Fixture violation: Netty outside the ttrpc layer. */
public class UsesNetty {
    public Object buffer() {
        return io.netty.buffer.Unpooled.EMPTY_BUFFER;
    }
}
