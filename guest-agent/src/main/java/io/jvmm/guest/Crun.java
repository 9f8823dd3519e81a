package io.jvmm.guest;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.StatusCarrier;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs crun, the OCI runtime inside the guest. Every invocation has a deadline and a log to explain failures. */
final class Crun {
    /** Only a hung crun takes this long; less than the host's deadline for such calls (5 min), so crun's own error is what the host sees. */
    private static final long TIMEOUT_SECONDS = 240;
    /** The subreaper's prctl takes ~0.5 s under TCG; only a wedged guest takes this long. */
    private static final Duration SUBREAPER_TIMEOUT = Duration.ofSeconds(60);

    private final Path binary;
    private final Path root;
    private final Path logDir;
    private final Subreaper subreaper;

    /** crun runs only once {@code subreaper} is done, so no process it starts is orphaned to init. */
    Crun(Path binary, Path root, Path logDir, Subreaper subreaper) throws IOException {
        this.subreaper = subreaper;
        this.binary = binary;
        this.root = root;
        this.logDir = logDir;
        Files.createDirectories(root);
        Files.createDirectories(logDir);
    }

    /** Runs {@code crun <args>} with the given stdio; throws with crun's own message on failure. */
    void run(String containerId, List<String> args, Redirect in, Redirect out, Redirect err) throws IOException {
        subreaper.await(SUBREAPER_TIMEOUT);
        Path log = logDir.resolve(containerId + ".log");
        Files.deleteIfExists(log);
        List<String> command = new ArrayList<>(
                List.of(binary.toString(), "--root", root.toString(), "--log", "file:" + log, "--log-format", "text"));
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectInput(in)
                .redirectOutput(out)
                .redirectError(err)
                .start();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("crun " + args.getFirst() + " timed out after " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running crun " + args.getFirst(), e);
        }
        if (process.exitValue() != 0) {
            String message = Files.exists(log) ? Files.readString(log).strip() : "";
            throw new CrunException("crun " + args.getFirst() + " failed (exit " + process.exitValue() + ")"
                    + (message.isEmpty() ? "" : ": " + lastLine(message)));
        }
    }

    void run(String containerId, List<String> args) throws IOException {
        run(containerId, args, Redirect.from(new File("/dev/null")), Redirect.DISCARD, Redirect.DISCARD);
    }

    private static String lastLine(String text) {
        String[] lines = text.split("\n");
        return lines[lines.length - 1];
    }

    /** crun refused: the request (spec, state) is at fault, not the agent. */
    static final class CrunException extends IOException implements StatusCarrier {
        private static final long serialVersionUID = 1L;

        CrunException(String message) {
            super(message);
        }

        @Override
        public Code statusCode() {
            return Code.FAILED_PRECONDITION;
        }
    }
}
