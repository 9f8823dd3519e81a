package io.jvmm.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifiersTest {
    @ParameterizedTest
    @ValueSource(
            strings = {
                "c1",
                "busybox",
                "a.b-c_d",
                "A9",
                "x0123456789x0123456789x0123456789x0123456789x0123456789x0123456789x01234"
            })
    void acceptsContainerdIdentifiers(String id) {
        assertThat(Identifiers.validate("container", id)).isEqualTo(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "..", "../etc", "a/b", "/abs", "-lead", "trail-", "a..b", "sp ace", "nul\u0000", "ü"})
    void refusesEverythingElse(String id) {
        assertThatThrownBy(() -> Identifiers.validate("container", id))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("container id");
    }

    @Test
    void refusesOverlongIds() {
        assertThatThrownBy(() -> Identifiers.validate("exec", "x".repeat(77))).hasMessageContaining("longer than 76");
    }
}
