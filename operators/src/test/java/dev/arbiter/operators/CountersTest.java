package dev.arbiter.operators;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class CountersTest {

  @Test
  void aFamilyCountsIntoTheSameLabelledCountersAsInc() {
    Counters counters = new Counters(new UnregisteredMetricsGroup());
    Counters.Family units = counters.family("units", "experiment");
    units.inc("e1");
    units.inc("e1");
    units.inc("e2");
    counters.inc("units", "experiment", "e1");
    assertThat(counters.labelled("units", "experiment", "e1").getCount()).isEqualTo(3);
    assertThat(counters.labelled("units", "experiment", "e2").getCount()).isEqualTo(1);
    assertThat(counters.labelled("units", "other", "e1").getCount()).isZero();
  }
}
