package io.jvmm.ttrpc.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Installs the recording leak detector before any test engine (Jupiter, jqwik, Jazzer) touches Netty. */
public final class LeakDetectionInstaller implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakCheckExtension.install();
    }
}
