package archfixture.ttrpc;

/** Fixture: the lowest layer, allowed to use Netty. */
public class Wire {
    public Object buffer() {
        return io.netty.buffer.Unpooled.EMPTY_BUFFER;
    }
}
