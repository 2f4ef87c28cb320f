package dev.arbiter.operators;

import dev.arbiter.avro.DeadLetter;
import dev.arbiter.core.Duplicates;
import dev.arbiter.core.Ingested;
import dev.arbiter.core.Observation;
import dev.arbiter.core.RecentUnits;
import dev.arbiter.core.TurnChecks;
import dev.arbiter.core.UnitState;
import dev.arbiter.core.WindowBounds;
import dev.arbiter.wire.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.util.Collector;

/**
 * Per-unit state, keyed by (experiment, unit): the variant and segments of the unit's first turn,
 * the request ids it has served, and outcomes or judge scores that arrived before their turn.
 * Here a turn in a second variant is flagged as a leak, a repeated turn, outcome or judge score
 * is counted once (see {@link Duplicates}; the repeats become duplicate_event dead letters), and outcomes and judge scores take the variant and segments of the unit's turns before they are
 * placed in windows. Unit state expires after the configured TTL of inactivity.
 *
 * <p>Run by {@link UnitTrackerOperator}, which holds recently touched units on the heap in front of
 * their state ({@link RecentUnits}) and writes them back; run on its own, every change is written
 * at once.
 */
public class UnitTracker extends KeyedProcessFunction<String, Observation, Observation> implements HoldsRecentState {

  private final long maxWaitMs;
  private final long unitTtlMs;
  private transient ValueState<UnitState> unit;
  private transient MapState<String, Long> requests;
  private transient MapState<String, Long> judged;
  private transient ListState<Observation> waiting;
  private transient Counters counters;
  /** Units seen, by experiment: counted for every new unit. */
  private transient Counters.Family unitsByExperiment;
  /** Null: every change goes straight to {@link #unit}. */
  private transient RecentUnits recent;

  /**
   * @param maxWaitMs how long (event time) an outcome or judge score waits for its unit's turn
   * @param unitTtlMs how long (processing time) an inactive unit is remembered
   */
  public UnitTracker(long maxWaitMs, long unitTtlMs) {
    this.maxWaitMs = maxWaitMs;
    this.unitTtlMs = unitTtlMs;
  }

  private static StateTtlConfig ttl(long unitTtlMs) {
    return StateTtlConfig.newBuilder(Duration.ofMillis(unitTtlMs))
        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
        .build();
  }

  @VisibleForTesting
  static ValueStateDescriptor<UnitState> unitDescriptor(long unitTtlMs) {
    ValueStateDescriptor<UnitState> descriptor = new ValueStateDescriptor<>("unit", TypeInformation.of(UnitState.class));
    descriptor.enableTimeToLive(ttl(unitTtlMs));
    return descriptor;
  }

  /** Request ids of units from before they were kept in {@link UnitState}, and of units with more turns than it keeps. */
  @VisibleForTesting
  static MapStateDescriptor<String, Long> requestDescriptor(long unitTtlMs) {
    MapStateDescriptor<String, Long> descriptor = new MapStateDescriptor<>("unit-requests", Types.STRING, Types.LONG);
    descriptor.enableTimeToLive(ttl(unitTtlMs));
    return descriptor;
  }

  @Override
  public void open(OpenContext openContext) {
    StateTtlConfig ttl = ttl(unitTtlMs);
    MapStateDescriptor<String, Long> judgedDescriptor = new MapStateDescriptor<>("unit-judged", Types.STRING, Types.LONG);
    judgedDescriptor.enableTimeToLive(ttl);
    unit = getRuntimeContext().getState(unitDescriptor(unitTtlMs));
    requests = getRuntimeContext().getMapState(requestDescriptor(unitTtlMs));
    judged = getRuntimeContext().getMapState(judgedDescriptor);
    waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-for-turn", TypeInformation.of(Observation.class)));
    counters = new Counters(getRuntimeContext().getMetricGroup());
    unitsByExperiment = counters.family("units", "experiment");
  }

  @Override
  public void holdRecent(int capacity) {
    recent = new RecentUnits(capacity, unitTtlMs);
  }

  @Override
  public void writeBack(KeyContext keys, long now) throws Exception {
    if (recent != null) {
      recent.writeBack((unitKey, state) -> write(keys, unitKey, state), now);
    }
  }

  @Override
  public void dropOldestWhenFull(KeyContext keys) throws Exception {
    if (recent != null && recent.full()) {
      recent.dropOldest((unitKey, state) -> write(keys, unitKey, state));
    }
  }

  private void write(KeyContext keys, String unitKey, UnitState state) throws Exception {
    keys.setCurrentKey(unitKey);
    unit.update(state);
  }

  private UnitState load(String unitKey, long now) throws Exception {
    if (recent == null) {
      return unit.value();
    }
    UnitState held = recent.get(unitKey, now);
    if (held == null) {
      held = unit.value();
      if (held != null) {
        recent.loaded(unitKey, held, now);
      }
    }
    return held;
  }

  /**
   * The unit as {@link #load} reads it, without holding it on the heap when it is not held yet: a
   * timer's unit has usually finished, and holding it would push out units still active.
   */
  private UnitState peek(String unitKey, long now) throws Exception {
    if (recent == null) {
      return unit.value();
    }
    UnitState held = recent.get(unitKey, now);
    return held != null ? held : unit.value();
  }

  private void store(String unitKey, UnitState state, long now) throws Exception {
    if (recent == null) {
      unit.update(state);
    } else {
      recent.changed(unitKey, state, now);
    }
  }

  /** The current key's timer service, for {@link #place} (set per call: timers belong to the key being processed). */
  private transient org.apache.flink.streaming.api.TimerService timers;

  @Override
  public void processElement(Observation event, Context ctx, Collector<Observation> out) throws Exception {
    timers = ctx.timerService();
    String unitKey = ctx.getCurrentKey();
    long now = recent == null ? 0 : timers.currentProcessingTime();
    UnitState state = load(unitKey, now);
    if (event.kind == Observation.TURN) {
      TurnChecks.Problem duplicate = Duplicates.turn(event.requestId, served(state, event.requestId));
      if (duplicate != null) {
        reject(ctx, event, duplicate.rejection(), duplicate.detail());
        return;
      }
      if (state == null) {
        state = new UnitState(event.variantId, event.segments);
        state.windowMs = event.windowMs;
        state.allowedLatenessMs = event.allowedLatenessMs;
        state.definitionVersion = event.definitionVersion;
        state.firstTurnTime = event.eventTime;
        event.newUnit = true;
        unitsByExperiment.inc(event.experimentId);
      } else if (!state.variant.equals(event.variantId)) {
        event.leaked = true;
        if (!state.leaked) {
          state.leaked = true;
          counters.counter("leakedUnits").inc();
        }
      } else if (firstTurnInAnEarlierWindow(state, event, timers.currentWatermark())) {
        // Turns are processed out of event-time order (held ones at start-up, partitions at
        // different speeds); counting a unit as new where its first turn falls keeps new_units,
        // and so the sample-ratio test, the same for every run of the same input.
        emitInUnitWindows(ofUnit(Observation.FIRST_TURN_MOVED, event.experimentId, event.unitId, state.firstTurnTime, state), state, out);
        event.newUnit = true;
        state.firstTurnTime = event.eventTime;
      }
      if (!state.rememberInline(event.requestId)) {
        requests.put(event.requestId, event.eventTime);
      }
      state.cost += event.costUsd;
      state.turns++;
      for (String segment : event.segments) {
        out.collect(event.placed(event.variantId, segment));
      }
      if (!state.noneWaiting) {
        release(state, ctx, out);
      }
      // One store per turn (place may change the unit too): written through, every update serializes the unit again.
      store(unitKey, state, now);
      return;
    }
    if (joinable(event, state)) {
      place(event, state, ctx, out);
      store(unitKey, state, now);
    } else {
      waiting.add(event);
      if (state != null && state.noneWaiting) {
        state.noneWaiting = false;
        store(unitKey, state, now);
      }
      ctx.timerService().registerEventTimeTimer(event.eventTime + maxWaitMs);
    }
  }

  /**
   * Whether this turn, of the unit's own variant, came before the one the unit was counted new with
   * and falls in an earlier window that is still open downstream (the window operator's watermark
   * is never ahead of this operator's), so the count can move there and be taken back where it was.
   */
  private static boolean firstTurnInAnEarlierWindow(UnitState state, Observation turn, long watermark) {
    if (state.firstTurnTime == Long.MIN_VALUE || turn.eventTime >= state.firstTurnTime) {
      return false;
    }
    long start = turn.windowStart();
    return start < WindowBounds.startOf(state.firstTurnTime, state.windowMs)
        && WindowBounds.closeTime(start, turn.windowMs, turn.allowedLatenessMs) > watermark;
  }

  private boolean joinable(Observation event, UnitState state) throws Exception {
    return state != null && (event.kind == Observation.OUTCOME || served(state, event.requestId));
  }

  /**
   * Whether the unit already served this request. No state means no request either: each request id
   * is written together with its unit, so the unit's TTL outlasts the id's.
   */
  private boolean served(UnitState state, String requestId) throws Exception {
    return state != null && (state.servedInline(requestId) || (state.mayHaveRequestsElsewhere() && requests.contains(requestId)));
  }

  /** Places a joinable outcome or judge score; the caller writes {@code state} back. */
  private void place(Observation event, UnitState state, Context ctx, Collector<Observation> out) throws Exception {
    TurnChecks.Problem duplicate = null;
    if (event.kind == Observation.OUTCOME) {
      duplicate = Duplicates.outcome(event.unitId, state);
    } else if (event.kind == Observation.JUDGE) {
      String key = Duplicates.judgeKey(event.requestId, event.judgeAxes);
      duplicate = Duplicates.judge(event.requestId, event.judgeAxes, judged.contains(key));
      if (duplicate == null) {
        judged.put(key, event.eventTime);
      }
    }
    if (duplicate != null) {
      reject(ctx, event, duplicate.rejection(), duplicate.detail());
      return;
    }
    emitInUnitWindows(event, state, out);
    if (event.kind == Observation.JUDGE) {
      state.addJudge(event.judgeAxes, event.judgeScores);
    } else if (event.kind == Observation.OUTCOME) {
      state.endTime = event.eventTime;
      // The unit's values are final once the judge scores of its last turns had time to arrive.
      timers.registerEventTimeTimer(event.eventTime + maxWaitMs);
    }
  }

  private void release(UnitState state, Context ctx, Collector<Observation> out) throws Exception {
    List<Observation> still = new ArrayList<>();
    boolean released = false;
    for (Observation event : waiting.get()) {
      if (joinable(event, state)) {
        place(event, state, ctx, out);
        released = true;
      } else {
        still.add(event);
      }
    }
    if (released) {
      waiting.update(still);
    }
    state.noneWaiting = still.isEmpty();
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<Observation> out) throws Exception {
    timers = ctx.timerService();
    String unitKey = ctx.getCurrentKey();
    long now = recent == null ? 0 : timers.currentProcessingTime();
    UnitState state = peek(unitKey, now);
    // Exactly its outcome's timer values a unit: that timer fires once, so no flag needs writing
    // (units valued by earlier builds carry one). Timers of waiting events at other times pass.
    if (state != null && state.endTime >= 0 && !state.valued && timestamp == state.endTime + maxWaitMs) {
      emitValues(unitKey, state, timestamp, out);
    }
    if (state != null && state.noneWaiting) {
      return;
    }
    List<Observation> still = new ArrayList<>();
    boolean expired = false;
    for (Observation event : waiting.get()) {
      if (event.eventTime + maxWaitMs <= timestamp) {
        expired = true;
        boolean outcome = event.kind == Observation.OUTCOME;
        reject(ctx, event, outcome ? Rejection.OUTCOME_WITHOUT_TURNS : Rejection.JUDGE_WITHOUT_TURN,
            (outcome ? "outcome of unit " + event.unitId : "judge score of request " + event.requestId)
                + ": no matching turn within " + maxWaitMs / 1000 + " s of event time");
      } else {
        still.add(event);
      }
    }
    if (expired) {
      waiting.update(still);
    }
    if (state != null && still.isEmpty()) {
      state.noneWaiting = true;
      store(unitKey, state, now);
    }
  }

  /** An observation of the unit itself, windowed as its first turn was. */
  private static Observation ofUnit(byte kind, String experimentId, String unitId, long eventTime, UnitState state) {
    Observation o = new Observation();
    o.kind = kind;
    o.experimentId = experimentId;
    o.unitId = unitId;
    o.eventTime = eventTime;
    o.windowMs = state.windowMs;
    o.allowedLatenessMs = state.allowedLatenessMs;
    o.definitionVersion = state.definitionVersion;
    return o;
  }

  /** Places an observation of the unit in the windows of the unit's variant and segments. */
  private static void emitInUnitWindows(Observation o, UnitState state, Collector<Observation> out) {
    for (String segment : state.segments) {
      out.collect(o.placed(state.variant, segment));
    }
  }

  /** One observation of the unit's final values, placed in the unit's variant and segments. */
  private static void emitValues(String unitKey, UnitState state, long eventTime, Collector<Observation> out) {
    String[] key = unitKey.split(String.valueOf(Observation.KEY_SEPARATOR), 2);
    Observation values = ofUnit(Observation.UNIT, key[0], key[1], eventTime, state);
    values.unitCost = state.cost;
    values.unitTurns = state.turns;
    values.judgeAxes = state.judgeAxes;
    values.judgeScores = new double[state.judgeAxes.length];
    for (int i = 0; i < state.judgeAxes.length; i++) {
      values.judgeScores[i] = state.judgeSums[i] / state.judgeCounts[i];
    }
    emitInUnitWindows(values, state, out);
  }

  private void reject(Context ctx, Observation event, Rejection rejection, String detail) {
    counters.deadLetter(rejection.code());
    DeadLetter letter = Ingested.deadLetter(rejection, detail, null, event.sourceTopic, event.sourcePartition,
        event.sourceOffset, event.experimentId, event.eventTime);
    ctx.output(Outputs.DEAD_LETTERS, letter);
  }
}
