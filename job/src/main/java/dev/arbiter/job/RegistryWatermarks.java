package dev.arbiter.job;

import dev.arbiter.core.Ingested;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks of the registry stream. Definitions carry no event time; the registry joins the
 * events in broadcast operators whose watermark is the minimum of both inputs, so the registry
 * must not hold event time back forever, yet it must not release it before the definitions that
 * exist have been read, or the first windows would be judged without their rules.
 */
public final class RegistryWatermarks {
  private RegistryWatermarks() {}

  /**
   * For a bounded registry (backtest files): no watermark until the registry is fully read, when
   * Flink emits the final one. Replays are therefore exact.
   */
  public static WatermarkStrategy<Ingested> untilFullyRead() {
    return WatermarkStrategy.noWatermarks();
  }

  /**
   * For a compacted registry topic: once the first definition has been read, or after
   * {@code bootstrapMs} if the topic is empty, the registry input is marked idle, so the broadcast
   * operators take event time from the events alone. It is not released with a +infinity
   * watermark: Flink leaves an idle input out of a two-input operator's watermark, so when every
   * event partition went quiet for {@code watermark.idleness-ms} the registry's +infinity would be
   * the only one left, close every open window at once and make all later events late. Idle, the
   * registry holds nothing back and a quiet event input holds event time where it is. Definitions
   * that arrive later meet events held by {@code PendingExperiments}.
   */
  public static WatermarkStrategy<Ingested> afterBootstrap(long bootstrapMs) {
    return WatermarkStrategy.forGenerator(context -> new BootstrapThenIdle(bootstrapMs));
  }

  /** The generator of {@link #afterBootstrap}: no watermark, then idle for good. */
  static final class BootstrapThenIdle implements WatermarkGenerator<Ingested> {
    private final long bootstrapMs;
    private final long startedAt = System.currentTimeMillis();
    private boolean seenDefinition;

    BootstrapThenIdle(long bootstrapMs) {
      this.bootstrapMs = bootstrapMs;
    }

    @Override
    public void onEvent(Ingested event, long eventTimestamp, WatermarkOutput output) {
      seenDefinition = true;
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      if (seenDefinition || System.currentTimeMillis() - startedAt >= bootstrapMs) {
        output.markIdle();
      }
    }
  }
}
