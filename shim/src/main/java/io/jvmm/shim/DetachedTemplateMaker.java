package io.jvmm.shim;

import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.TemplateMaker;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.GuestSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Makes a template in a process of its own: {@code containerd-shim-jvmm-v2 templates make} with this shim's
 * configuration file and the sandbox's size and kernel arguments, niced, started through {@code setsid -f} (a
 * session of its own, not this shim's child: it finishes the template whether or not the sandbox that
 * asked lives that long, and no thread here waits for it). Its output goes to the template's
 * {@value VmTemplates#MAKER_LOG}.
 */
final class DetachedTemplateMaker implements TemplateMaker {
    private static final Logger LOG = LogManager.getLogger(DetachedTemplateMaker.class);
    private static final long SETSID_EXIT_SECONDS = 10;

    private final Path configFile;
    private final List<String> self;

    /** {@code self}: how to run this binary ({@link StartAction#selfCommand}). */
    DetachedTemplateMaker(Path configFile, List<String> self) {
        this.configFile = configFile;
        this.self = List.copyOf(self);
    }

    /** The command that makes the template of {@code settings} at {@code size}, as this maker runs it. */
    List<String> command(SandboxSettings settings, VmSize size) {
        // At the lowest CPU priority, niced and (--background) its session's autogroup too (its QEMU inherits
        // both): the sandbox that asked boots at the same time, and on a host short of cores (or under TCG,
        // where a boot is CPU-bound) a maker of equal priority nearly doubled that boot (docs/benchmarks.md).
        List<String> command = new ArrayList<>(List.of("setsid", "-f", "nice", "-n", "19"));
        command.addAll(self);
        command.addAll(List.of(
                "templates",
                "make",
                "--background",
                "--vcpus",
                Integer.toString(size.vcpus()),
                "--memory-mib",
                Integer.toString(size.memoryMib()),
                "--kernel-args",
                settings.extraKernelArgs()));
        return command;
    }

    @Override
    public void makeBeside(SandboxSettings settings, VmSize size, GuestSnapshot template) {
        try {
            Path log = VmTemplates.makerLog(settings, template);
            ProcessBuilder maker = new ProcessBuilder(command(settings, size))
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            maker.environment().put("JVMM_CONFIG", configFile.toString());
            Process setsid = maker.start();
            if (!setsid.waitFor(SETSID_EXIT_SECONDS, TimeUnit.SECONDS) || setsid.exitValue() != 0) {
                setsid.destroyForcibly();
                LOG.warn(
                        "could not start the template maker: {}",
                        Files.readString(log).strip());
                return;
            }
            LOG.info("template maker started (its output: {})", log);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not start the template maker: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
