package io.jvmm.task.sandbox;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the VM templates of a state root may keep (the configuration's {@code templateMaxMib} and
 * {@code templateMaxUnusedDays}; no limit by default): a template no sandbox restored from for longer than
 * {@code maxUnused} is deleted, and beyond {@code maxMib} in all the least recently used go first. Each
 * template of a size holds that size in memory files, under the default state root ({@code /run}) in RAM.
 */
public record TemplateLimits(OptionalLong maxMib, Optional<Duration> maxUnused) {
    public static final TemplateLimits NONE = new TemplateLimits(OptionalLong.empty(), Optional.empty());

    public TemplateLimits {
        if (maxMib.isPresent() && maxMib.getAsLong() < 0) {
            throw new IllegalArgumentException("templateMaxMib must not be negative, not " + maxMib.getAsLong());
        }
        if (maxUnused.isPresent() && maxUnused.get().isNegative()) {
            throw new IllegalArgumentException("templateMaxUnusedDays must not be negative");
        }
    }

    /** From the configuration's numbers, either absent (null). */
    public static TemplateLimits of(Integer maxMib, Integer maxUnusedDays) {
        return new TemplateLimits(
                maxMib == null ? OptionalLong.empty() : OptionalLong.of(maxMib),
                Optional.ofNullable(maxUnusedDays).map(Duration::ofDays));
    }
}
