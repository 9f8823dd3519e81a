package io.jvmm.shim.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExpositionMergeTest {
    @Test
    void eachFamilyAppearsOnceWithTheSamplesOfEveryScrape() {
        ExpositionMerge merge = new ExpositionMerge();
        merge.add("# HELP a_total A.\n# TYPE a_total counter\na_total{sandbox_id=\"s1\"} 1.0\n"
                + "# HELP b_bytes B.\n# TYPE b_bytes gauge\nb_bytes{sandbox_id=\"s1\"} 5.0\n");
        merge.add("# HELP b_bytes B.\n# TYPE b_bytes gauge\nb_bytes{sandbox_id=\"s2\"} 7.0\n\n"
                + "# HELP a_total A.\n# TYPE a_total counter\na_total{sandbox_id=\"s2\"} 2.0\n# EOF\n");
        assertThat(merge.text())
                .isEqualTo("# HELP a_total A.\n# TYPE a_total counter\na_total{sandbox_id=\"s1\"} 1.0\n"
                        + "a_total{sandbox_id=\"s2\"} 2.0\n"
                        + "# HELP b_bytes B.\n# TYPE b_bytes gauge\nb_bytes{sandbox_id=\"s1\"} 5.0\n"
                        + "b_bytes{sandbox_id=\"s2\"} 7.0\n");
    }

    @Test
    void samplesWithoutAHeadAreKeptUnderTheirOwnName() {
        ExpositionMerge merge = new ExpositionMerge();
        merge.add("loose{x=\"1\"} 1\n");
        merge.add("loose{x=\"2\"} 2\n");
        assertThat(merge.text()).isEqualTo("loose{x=\"1\"} 1\nloose{x=\"2\"} 2\n");
    }
}
