package io.jvmm.ttrpc.transport;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Status;
import io.jvmm.ttrpc.TtrpcException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Blocking waits in short slices, so a cancellation or a deadline is noticed within one slice. */
final class Waits {
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private Waits() {}

    /**
     * How long to wait next: a slice, or less when the deadline (System.nanoTime based, 0 = none) is
     * nearer. Throws the cancellation's status, or DEADLINE_EXCEEDED once the deadline has passed.
     */
    static long nextSlice(long deadlineNanos, Supplier<Status> cancelled) {
        Status cancel = cancelled.get();
        if (cancel != null) {
            throw new TtrpcException(cancel);
        }
        if (deadlineNanos == 0) {
            return SLICE_NANOS;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new TtrpcException(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
        }
        return Math.min(SLICE_NANOS, left);
    }
}
