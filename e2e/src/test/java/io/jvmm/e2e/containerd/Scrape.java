package io.jvmm.e2e.containerd;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;

/** Scrapes of an HTTP endpoint (the metrics monitor, Prometheus's API) until they show what a test waits for. */
final class Scrape {
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    /** What is asked again until it shows what is awaited. */
    interface Source {
        String get() throws Exception;
    }

    private Scrape() {}

    /** The body of a GET of {@code url} (10 s at most); what went wrong instead, when the answer is no 200. */
    static String get(HttpClient http, String url) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "HTTP " + r.statusCode() + ": " + r.body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    /**
     * Asks {@code source} every 500 ms until {@code done} accepts its answer, which is returned; after 120 s
     * fails with {@code what}, the last answer and {@code context} (a log, say).
     */
    static String until(String what, Source source, Predicate<String> done, Source context) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = source.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(
                what + " not seen within " + PATIENCE.toSeconds() + " s; last:\n" + last + "\n" + context.get());
    }
}
