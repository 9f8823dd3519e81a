package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.NoSuchElementException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class StatusesTest {
    static final class NotFound extends RuntimeException implements StatusCarrier {
        NotFound(String message) {
            super(message);
        }

        @Override
        public Code statusCode() {
            return Code.NOT_FOUND;
        }
    }

    @Test
    void mapsEachKindOfFailureToItsCode() {
        assertThat(Statuses.fromThrowable(new TtrpcException(Code.ALREADY_EXISTS, "c1 exists")))
                .isEqualTo(Status.of(Code.ALREADY_EXISTS, "c1 exists"));
        assertThat(Statuses.fromThrowable(new NotFound("container c9")))
                .isEqualTo(Status.of(Code.NOT_FOUND, "container c9"));
        assertThat(Statuses.fromThrowable(new TimeoutException("slow")).code()).isEqualTo(Code.DEADLINE_EXCEEDED);
        assertThat(Statuses.fromThrowable(new RuntimeException("boom"))).isEqualTo(Status.of(Code.UNKNOWN, "boom"));
        assertThat(Statuses.fromThrowable(new RuntimeException()))
                .isEqualTo(Status.of(Code.UNKNOWN, "RuntimeException"));
    }

    /** Only a handler chooses a code: a plain Java exception is the server's failure, UNKNOWN as in Go's ttrpc. */
    @Test
    void plainExceptionsAreUnknownWithTheirMessage() {
        assertThat(Statuses.fromThrowable(new IllegalArgumentException("bad id")))
                .isEqualTo(Status.of(Code.UNKNOWN, "bad id"));
        assertThat(Statuses.fromThrowable(new IllegalStateException("mount failed")))
                .isEqualTo(Status.of(Code.UNKNOWN, "mount failed"));
        assertThat(Statuses.fromThrowable(new UnsupportedOperationException("x"))
                        .code())
                .isEqualTo(Code.UNKNOWN);
        assertThat(Statuses.fromThrowable(new NoSuchElementException("gone")).code())
                .isEqualTo(Code.UNKNOWN);
    }

    @Test
    void unwrapsFutureWrappers() {
        Throwable wrapped = new CompletionException(new TtrpcException(Code.UNAVAILABLE, "closed"));
        assertThat(Statuses.fromThrowable(wrapped).code()).isEqualTo(Code.UNAVAILABLE);
        assertThat(Statuses.asException(wrapped).code()).isEqualTo(Code.UNAVAILABLE);
    }

    @Test
    void okTravelsAsAnEmptyStatusAndUnknownNumbersBecomeUnknown() {
        assertThat(Statuses.toProto(Status.OK).toByteArray()).isEmpty();
        assertThat(Statuses.fromProto(io.jvmm.ttrpc.proto.rpc.Status.newBuilder()
                                .setCode(99)
                                .build())
                        .code())
                .isEqualTo(Code.UNKNOWN);
        assertThat(Code.fromValue(-1)).isEqualTo(Code.UNKNOWN);
        for (Code code : Code.values()) {
            assertThat(Code.fromValue(code.value())).isEqualTo(code);
        }
    }
}
