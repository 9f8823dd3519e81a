package io.jvmm.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** What tests use to find and remove what they left behind: processes and directories. */
public final class Leftovers {
    private Leftovers() {}

    /** Processes whose command line mentions {@code marker} (a test's own directory). */
    public static List<ProcessHandle> processesMentioning(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .arguments()
                        .map(a -> String.join(" ", a).contains(marker))
                        .orElse(false))
                .toList();
    }

    /**
     * For a failure message: the stacks of the threads named {@code exit-*} (one per process whose exit a
     * shim awaits) and {@code ttrpc-call-*} (requests being handled, such as a Create that does not
     * return) in every JVM whose command line mentions {@code marker}, so a hang shows where it waits.
     */
    public static String awaitingThreads(String marker) {
        return threads(
                marker,
                " awaiting exits or handling calls",
                section -> section.startsWith("\"exit-") || section.startsWith("\"ttrpc-call"));
    }

    /** For a failure message: every thread's stack in every JVM whose command line mentions {@code marker}. */
    public static String allThreads(String marker) {
        return threads(marker, "", section -> true);
    }

    /** The thread dump sections {@code kept} of each JVM mentioning {@code marker}, headed "threads of PID{what}:". */
    private static String threads(String marker, String what, Predicate<String> kept) {
        StringBuilder out = new StringBuilder();
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        for (ProcessHandle p : processesMentioning(marker)) {
            if (!p.info().command().orElse("").endsWith("/java")) {
                continue;
            }
            try {
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true)
                        .start();
                String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                dump.waitFor(20, TimeUnit.SECONDS);
                out.append("threads of ").append(p.pid()).append(what).append(":\n");
                for (String section : text.split("\n\n")) {
                    if (kept.test(section)) {
                        out.append(section).append("\n");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (IOException e) {
                out.append("no thread dump of ")
                        .append(p.pid())
                        .append(": ")
                        .append(e.getMessage())
                        .append("\n");
            }
        }
        return out.toString();
    }

    /** Deletes a directory tree; a missing one is fine. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove " + dir, e);
        }
    }
}
