package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShimFlagsTest {
    @Test
    void parsesContainerdsStartInvocation() {
        ShimFlags f = ShimFlags.parse(List.of(
                "-namespace",
                "k8s.io",
                "-address",
                "/run/containerd/containerd.sock",
                "-publish-binary",
                "/usr/bin/containerd",
                "-id",
                "abc",
                "-debug",
                "start"));
        assertThat(f)
                .isEqualTo(new ShimFlags(
                        "k8s.io",
                        "/run/containerd/containerd.sock",
                        "/usr/bin/containerd",
                        "abc",
                        Optional.empty(),
                        true,
                        false,
                        false,
                        Optional.empty(),
                        "start"));
    }

    @Test
    void acceptsGoFlagSpellings() {
        ShimFlags f =
                ShimFlags.parse(List.of("--namespace=default", "-id=x", "-address", "/a", "-bundle", "/b", "delete"));
        assertThat(f.namespace()).isEqualTo("default");
        assertThat(f.id()).isEqualTo("x");
        assertThat(f.bundle()).contains(Path.of("/b"));
        assertThat(f.action()).isEqualTo("delete");
        assertThat(ShimFlags.parse(List.of("-v")).version()).isTrue();
        assertThat(ShimFlags.parse(List.of("-debug=false", "-id", "x")).debug()).isFalse();
    }

    @Test
    void refusesWhatGoWouldRefuse() {
        assertThatThrownBy(() -> ShimFlags.parse(List.of("-nope"))).hasMessageContaining("not defined: -nope");
        assertThatThrownBy(() -> ShimFlags.parse(List.of("-id"))).hasMessageContaining("needs an argument");
        assertThatThrownBy(() -> ShimFlags.parse(List.of("start", "extra")))
                .hasMessageContaining("unexpected arguments");
    }

    @Test
    void theServerGetsTheSameIdentityAndAFixedSocket() {
        ShimFlags f = ShimFlags.parse(
                List.of("-namespace", "n", "-address", "/a", "-publish-binary", "/c", "-id", "i", "start"));
        assertThat(ShimFlags.parse(f.serverArgs(Path.of("/run/containerd/s/x"))))
                .isEqualTo(new ShimFlags(
                        "n",
                        "/a",
                        "/c",
                        "i",
                        Optional.empty(),
                        false,
                        false,
                        false,
                        Optional.of(Path.of("/run/containerd/s/x")),
                        ""));
    }
}
