package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.core.Ingested;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class RegistryWatermarksTest {

  /** What a generator told the source. */
  static final class Recorded implements WatermarkOutput {
    final List<Long> watermarks = new ArrayList<>();
    boolean idle;

    @Override
    public void emitWatermark(Watermark watermark) {
      watermarks.add(watermark.getTimestamp());
      idle = false;
    }

    @Override
    public void markIdle() {
      idle = true;
    }

    @Override
    public void markActive() {
      idle = false;
    }
  }

  @Test
  void holdsEventTimeBackUntilTheFirstDefinitionThenGoesIdleWithoutAWatermark() {
    WatermarkGenerator<Ingested> generator = new RegistryWatermarks.BootstrapThenIdle(60_000);
    Recorded output = new Recorded();
    generator.onPeriodicEmit(output);
    assertThat(output.idle).as("idle before any definition").isFalse();

    generator.onEvent(new Ingested(), 0, output);
    generator.onPeriodicEmit(output);
    assertThat(output.idle).isTrue();
    // A +infinity watermark here would close every window as soon as the events went quiet.
    assertThat(output.watermarks).isEmpty();
  }

  @Test
  void anEmptyRegistryGoesIdleAfterTheBootstrapTime() {
    WatermarkGenerator<Ingested> generator = new RegistryWatermarks.BootstrapThenIdle(0);
    Recorded output = new Recorded();
    generator.onPeriodicEmit(output);
    assertThat(output.idle).isTrue();
    assertThat(output.watermarks).isEmpty();
  }
}
