package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a test class's {@link PrivateContainerd} (see {@link WithPrivateContainerd}), hands it and the
 * installed {@link JvmmRuntime} to the class's static fields of those types, and at the end closes it
 * and asserts that nothing jvmm made is left.
 */
final class PrivateContainerdExtension implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PrivateContainerdExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Class<?> testClass = context.getRequiredTestClass();
        WithPrivateContainerd settings = testClass.getAnnotation(WithPrivateContainerd.class);
        JvmmRuntime jvmm = JvmmRuntime.get();
        PrivateContainerd containerd = settings != null && settings.old()
                ? PrivateContainerd.start(PrivateContainerd.PREFIX_1_6, List.of(jvmm.binDir()))
                : PrivateContainerd.start(List.of(jvmm.binDir()));
        context.getStore(NAMESPACE).put(PrivateContainerd.class, containerd);
        set(testClass, PrivateContainerd.class, containerd);
        set(testClass, JvmmRuntime.class, jvmm);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        PrivateContainerd containerd =
                context.getStore(NAMESPACE).remove(PrivateContainerd.class, PrivateContainerd.class);
        if (containerd == null) {
            return;
        }
        JvmmRuntime jvmm = JvmmRuntime.get();
        // A template maker a sandbox started beside its cold boot ends on its own once the template is saved;
        // until then its VM would count as left behind.
        jvmm.awaitNoTemplateMakers(300);
        List<String> left = jvmm.closeAndListLeftovers(containerd);
        WithPrivateContainerd settings = context.getRequiredTestClass().getAnnotation(WithPrivateContainerd.class);
        if (settings != null && settings.deletesTemplates()) {
            assertThat(jvmm.deleteTemplates()).as("templates a VM still maps").isEmpty();
        }
        assertThat(left).as("what the class's containers left").isEmpty();
    }

    /** Sets the class's static fields of {@code type} (private ones too) to {@code value}. */
    private static <T> void set(Class<?> testClass, Class<T> type, T value) throws IllegalAccessException {
        for (Field f : testClass.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType().equals(type)) {
                f.setAccessible(true);
                f.set(null, value);
            }
        }
    }
}
