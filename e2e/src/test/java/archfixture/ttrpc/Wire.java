package archfixture.ttrpc;

import io.netty.buffer.Unpooled;

/** Fixture: the lowest layer, allowed to use Netty. */
public class Wire {
    public Object buffer() {
        return Unpooled.EMPTY_BUFFER;
    }
}
