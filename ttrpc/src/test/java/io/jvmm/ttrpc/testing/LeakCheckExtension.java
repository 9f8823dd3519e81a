package io.jvmm.ttrpc.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Turns Netty's leak reports into test failures. Registered for every test through JUnit's extension
 * auto-detection; the surefire configuration runs with -Dio.netty.leakDetection.level=paranoid, so
 * every buffer is tracked. After each test it forces a collection and makes Netty poll its leak
 * queue; any buffer that was garbage collected without being released fails the test.
 */
public final class LeakCheckExtension implements AfterEachCallback {
    private static final List<String> LEAKS = new ArrayList<>();
    private static boolean installed;

    /**
     * Installs the recording detector. Must run before any Netty buffer class is initialised:
     * {@link LeakDetectionInstaller} calls it when the test launcher session opens, before any engine.
     */
    public static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
            installed = true;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        assertNoLeaks(context.getDisplayName());
    }

    /** Collects garbage, lets Netty report, and fails if any buffer leaked since the last check. */
    public static void assertNoLeaks(String where) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
            // Allocating makes the detectors poll their reference queues and report.
            PooledByteBufAllocator.DEFAULT.buffer(1).release();
            Unpooled.directBuffer(1).release();
            ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
            heap.release();
        }
        List<String> found;
        synchronized (LEAKS) {
            found = List.copyOf(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            throw new AssertionError("Netty buffers leaked in " + where + ":\n" + String.join("\n----\n", found));
        }
    }

    /** Leaks recorded so far (for the extension's own test). */
    public static int pendingLeaks() {
        synchronized (LEAKS) {
            return LEAKS.size();
        }
    }

    public static void clear() {
        synchronized (LEAKS) {
            LEAKS.clear();
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                Class<T> resource, int samplingInterval, long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record(resourceType + " leaked:" + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record(resourceType + " leaked (no records)");
        }

        private static void record(String leak) {
            synchronized (LEAKS) {
                LEAKS.add(leak);
            }
        }
    }
}
