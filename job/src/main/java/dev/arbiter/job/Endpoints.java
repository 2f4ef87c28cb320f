package dev.arbiter.job;

import dev.arbiter.avro.ControlCommand;
import dev.arbiter.avro.DeadLetter;
import dev.arbiter.avro.RuleVerdict;
import dev.arbiter.avro.SequentialLook;
import dev.arbiter.avro.WindowSummary;
import dev.arbiter.core.Ingested;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;

/**
 * The ends of the job graph: where events and definitions come from and where decisions,
 * window metrics, rule verdicts, sequential looks and dead letters go (the middle three share
 * the metrics topic). Production passes Kafka; backtests pass files; tests pass
 * what they need. The registry's watermark strategy is part of the ends because a bounded registry
 * (a file) and an unbounded one (a compacted topic) must release the event-time clock differently.
 */
public record Endpoints(
    Source<Ingested, ?, ?> events,
    Source<Ingested, ?, ?> registry,
    WatermarkStrategy<Ingested> registryWatermarks,
    Sink<ControlCommand> decisions,
    Sink<WindowSummary> metrics,
    Sink<RuleVerdict> verdicts,
    Sink<SequentialLook> looks,
    Sink<DeadLetter> deadLetters) {}
