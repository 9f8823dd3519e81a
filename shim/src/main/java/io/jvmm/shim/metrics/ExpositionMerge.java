package io.jvmm.shim.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several shims' scrapes as one Prometheus text exposition: a metric family may appear only once in a
 * scrape, so each family's HELP and TYPE are kept from its first appearance and the samples of every
 * shim gathered under them (each shim's samples carry its own sandbox labels, so none collide).
 */
final class ExpositionMerge {
    private static final class Family {
        String help;
        String type;
        final List<String> samples = new ArrayList<>();
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Adds one scrape's families and samples. */
    void add(String exposition) {
        String current = null;
        for (String line : exposition.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ", 4);
                if (parts.length < 4) {
                    continue;
                }
                current = parts[2];
                Family f = family(current);
                if (parts[1].equals("HELP")) {
                    f.help = f.help == null ? line : f.help;
                } else {
                    f.type = f.type == null ? line : f.type;
                }
            } else if (!line.startsWith("#")) {
                family(current == null ? sampleName(line) : current).samples.add(line);
            }
        }
    }

    private Family family(String name) {
        return families.computeIfAbsent(name, n -> new Family());
    }

    private static String sampleName(String sample) {
        int end = 0;
        while (end < sample.length() && sample.charAt(end) != '{' && sample.charAt(end) != ' ') {
            end++;
        }
        return sample.substring(0, end);
    }

    /** The merged exposition, families in the order they were first seen. */
    String text() {
        StringBuilder out = new StringBuilder();
        for (Family f : families.values()) {
            if (f.help != null) {
                out.append(f.help).append('\n');
            }
            if (f.type != null) {
                out.append(f.type).append('\n');
            }
            f.samples.forEach(s -> out.append(s).append('\n'));
        }
        return out.toString();
    }
}
