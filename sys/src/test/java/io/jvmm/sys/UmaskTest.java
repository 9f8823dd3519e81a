package io.jvmm.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class UmaskTest {
    @Test
    void ensureSetsTheMaskOnceAndThenLeavesItAlone() throws IOException {
        int before = Umask.current().orElseThrow();
        int other = before == 077 ? 027 : 077;
        try {
            assertThat(Umask.ensure(other)).isTrue();
            assertThat(Umask.current()).hasValue(other);
            assertThat(Umask.ensure(other)).isFalse();
            assertThat(Umask.current()).hasValue(other);
        } finally {
            Libc.call(Syscall.UMASK, before);
        }
        assertThat(Umask.current()).hasValue(before);
    }
}
