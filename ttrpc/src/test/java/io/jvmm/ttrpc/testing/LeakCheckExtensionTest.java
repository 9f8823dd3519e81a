package io.jvmm.ttrpc.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak checker must really see a leak, or every "no leak" in this suite means nothing. */
class LeakCheckExtensionTest {
    @Test
    void aBufferDroppedWithoutReleaseIsReported() throws InterruptedException {
        leakOne();
        for (int i = 0; i < 20 && LeakCheckExtension.pendingLeaks() == 0; i++) {
            System.gc();
            Thread.sleep(50);
            PooledByteBufAllocator.DEFAULT.buffer(1).release();
        }
        assertThat(LeakCheckExtension.pendingLeaks()).isPositive();
        LeakCheckExtension.clear(); // this test's leak is on purpose
    }

    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.buffer(64);
        leaked.writeLong(42);
    }
}
