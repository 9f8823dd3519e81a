package io.jvmm.e2e.containerd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs against its own {@link PrivateContainerd} with the jvmm runtime installed
 * ({@link PrivateContainerdExtension}): its static fields of those two types are set before its
 * {@code @BeforeAll} methods run, and after its last test containerd is closed and nothing jvmm made may
 * be left (shims, VM processes, sandbox state, mounts, cgroups, sockets).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(PrivateContainerdExtension.class)
public @interface WithPrivateContainerd {
    /** containerd 1.6 (bookworm's) instead of 2.1. */
    boolean old() default false;

    /** Also delete the VM templates the class's shims made, and fail if a VM still maps one. */
    boolean deletesTemplates() default false;
}
