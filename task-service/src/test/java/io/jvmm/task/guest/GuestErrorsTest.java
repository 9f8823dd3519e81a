package io.jvmm.task.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuestErrorsTest {
    @ParameterizedTest(name = "the guest''s {0} reaches containerd as {1}")
    @CsvSource({
        "NOT_FOUND,NOT_FOUND",
        "ALREADY_EXISTS,ALREADY_EXISTS",
        "INVALID_ARGUMENT,INVALID_ARGUMENT",
        "FAILED_PRECONDITION,FAILED_PRECONDITION",
        "DEADLINE_EXCEEDED,DEADLINE_EXCEEDED",
        "RESOURCE_EXHAUSTED,RESOURCE_EXHAUSTED",
        "OUT_OF_RANGE,OUT_OF_RANGE",
        "UNAVAILABLE,UNKNOWN",
        "PERMISSION_DENIED,UNKNOWN",
        "UNAUTHENTICATED,UNKNOWN",
        "INTERNAL,UNKNOWN",
        "CANCELLED,UNKNOWN",
        "UNIMPLEMENTED,UNKNOWN",
        "ABORTED,UNKNOWN",
        "DATA_LOSS,UNKNOWN",
        "UNKNOWN,UNKNOWN"
    })
    void onlyCodesAboutTheRequestAreKept(Code guest, Code host) {
        TaskException e = GuestErrors.map("SignalProcess", new TtrpcException(guest, "no"));
        assertThat(e.statusCode()).isEqualTo(host);
        assertThat(e.getMessage()).isEqualTo("guest SignalProcess: no");
    }

    @Test
    void aGuestsMessageIsCutShortAndLosesItsControlCharacters() {
        String hostile = "\u001b[2J\rspoofed\nline" + "x".repeat(10_000);
        TaskException e = GuestErrors.map("ExecProcess", new TtrpcException(Code.NOT_FOUND, hostile));
        assertThat(e.getMessage())
                .startsWith("guest ExecProcess:  [2J spoofed line")
                .endsWith("...")
                .hasSizeLessThan(GuestErrors.MAX_MESSAGE + 40)
                .doesNotContain("\n", "\r", "\u001b");
    }
}
