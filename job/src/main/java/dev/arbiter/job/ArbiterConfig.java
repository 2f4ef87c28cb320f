package dev.arbiter.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every option of the Arbiter job, with its default and a line of documentation. This is the one
 * place topic names and config keys live: the command line offers each setting as
 * {@code --<key> VALUE}, and a test checks the README's option table against this list.
 */
public final class ArbiterConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One option: its key (also the command-line flag without the leading dashes), default and doc. */
  public record Setting(String key, String defaultValue, String doc) implements Serializable {}

  private static final List<Setting> ALL = new ArrayList<>();

  public static final Setting BOOTSTRAP_SERVERS = setting("bootstrap-servers", "localhost:9092",
      "Kafka bootstrap servers of the input, registry and output topics.");
  public static final Setting TOPIC_TURNS = setting("topic.turns", "llm.turns",
      "Topic of TurnEvent records (Avro single-object encoding, key = unit id).");
  public static final Setting TOPIC_OUTCOMES = setting("topic.outcomes", "llm.outcomes",
      "Topic of OutcomeEvent records (may equal topic.turns); empty to not subscribe.");
  public static final Setting TOPIC_JUDGE_SCORES = setting("topic.judge-scores", "llm.judge-scores",
      "Topic of JudgeScoreEvent records; empty to not subscribe.");
  public static final Setting TOPIC_EXPERIMENTS = setting("topic.experiments", "experiments",
      "Compacted registry topic of ExperimentDefinition records, key = experiment id.");
  public static final Setting TOPIC_METRICS = setting("topic.metrics", "experiments.metrics",
      "Output topic of WindowSummary records, one per closed window.");
  public static final Setting TOPIC_DECISIONS = setting("topic.decisions", "experiments.decisions",
      "Output topic of ControlCommand records that control planes obey (read them read_committed).");
  public static final Setting TOPIC_DEAD_LETTERS = setting("topic.dead-letters", "llm.dead-letters",
      "Output topic of DeadLetter records: every rejected or late input with its reason.");
  public static final Setting GROUP_ID = setting("group-id", "arbiter",
      "Kafka consumer group of the job's sources (offsets are committed on checkpoints).");
  public static final Setting STARTING_OFFSETS = setting("starting-offsets", "committed-or-earliest",
      "Where a job without a savepoint starts reading the input topics: committed-or-earliest, earliest or latest.");
  public static final Setting DELIVERY = setting("delivery", "exactly-once",
      "Delivery guarantee of the output topics: exactly-once (transactional, visible at checkpoint) or at-least-once.");
  public static final Setting TRANSACTIONAL_ID_PREFIX = setting("transactional-id-prefix", "arbiter",
      "Prefix of the Kafka transactional ids of the exactly-once sinks; unique per job on a cluster.");
  public static final Setting TRANSACTION_TIMEOUT_MS = setting("transaction-timeout-ms", "300000",
      "Kafka transaction timeout; must not exceed the broker's transaction.max.timeout.ms (15 min by default).");
  public static final Setting CHECKPOINT_INTERVAL_MS = setting("checkpoint.interval-ms", "10000",
      "Checkpoint interval; with exactly-once it bounds how long a decision waits to become visible.");
  public static final Setting CHECKPOINT_DIR = setting("checkpoint.dir", "",
      "Checkpoint storage URI (e.g. file:///var/arbiter/checkpoints or s3://...); empty keeps the cluster's setting.");
  public static final Setting STATE_BACKEND = setting("state.backend", "rocksdb",
      "State backend: rocksdb (incremental checkpoints; production) or hashmap (heap).");
  public static final Setting ROCKSDB_WRITE_BUFFER_MB = setting("state.rocksdb.write-buffer-mb", "16",
      "Size of each RocksDB memtable (write buffer) in MB, 1 to 1024. Smaller than Flink's 64 because nearly every state "
          + "access is a point lookup, and a smaller memtable is searched faster (see BENCHMARKS.md).");
  public static final Setting PARALLELISM = setting("parallelism", "0",
      "Default parallelism of the job's operators; 0 keeps the cluster's default.");
  public static final Setting OUT_OF_ORDERNESS_MS = setting("watermark.out-of-orderness-ms", "5000",
      "Bounded out-of-orderness of the input: how far behind the newest event time an event may arrive.");
  public static final Setting IDLENESS_MS = setting("watermark.idleness-ms", "30000",
      "A partition without records for this long stops holding back the watermark.");
  public static final Setting MAX_EVENT_TIME_SKEW_MS = setting("event-time.max-skew-ms", "86400000",
      "Largest accepted distance between a turn's event_time and its Kafka record timestamp; farther is implausible.");
  public static final Setting UNKNOWN_EXPERIMENT_HOLD_MS = setting("unknown-experiment.hold-ms", "120000",
      "How long (event time) a turn of an unregistered experiment waits for its definition before it is dead-lettered.");

  public static final Setting PRE_AGGREGATION = setting("window.pre-aggregation", "on",
      "on: combine observations of the same window before the shuffle to the window operator and hold them until the window ends (results are unchanged; BENCHMARKS.md). off: send each observation on its own, for comparison. A savepoint taken with it on does not restore into a job with it off: Flink refuses, because the held windows would be lost.");
  public static final Setting RECENT_WINDOWS = setting("window.recent-windows", "20000",
      "Recently touched open windows each window-operator subtask keeps on the heap in front of RocksDB, written back before every checkpoint "
          + "and when dropped, at most this many and at most window.recent-windows-mb; a window that opens and closes between two checkpoints "
          + "never reaches RocksDB. 0 reads and writes RocksDB on every partial and turn. Unused with the hashmap backend.");
  public static final Setting RECENT_WINDOWS_MB = setting("window.recent-windows-mb", "32",
      "Estimated heap (MB) the windows held by window.recent-windows may take per subtask: 1.4 KB for a window of a few turns, "
          + "12 KB with 300 distinct units, 42 KB with 3,000, so 32 MB hold about 23,000 small windows or 780 large ones.");

  public static final Setting JOIN_MAX_WAIT_MS = setting("join.max-wait-ms", "600000",
      "How long (event time) an outcome or judge score waits for its unit's turn before it is dead-lettered.");
  public static final Setting UNIT_STATE_TTL_MS = setting("unit-state.ttl-ms", "86400000",
      "How long (processing time) per-unit state (variant, served request ids) is kept after the unit's last turn.");
  public static final Setting UNIT_STATE_RECENT_UNITS = setting("unit-state.recent-units", "20000",
      "Recently touched units each unit-tracker subtask keeps on the heap in front of RocksDB, written back before every checkpoint "
          + "and when dropped (about 1 KB each); 0 reads and writes RocksDB on every event. Unused with the hashmap backend, which holds every unit already.");

  public static final Setting SECURITY_PROTOCOL = setting("kafka.security.protocol", "PLAINTEXT",
      "How every Kafka client of the job and the CLI connects: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.");
  public static final Setting SASL_MECHANISM = setting("kafka.sasl.mechanism", "SCRAM-SHA-512",
      "SASL mechanism of SASL_PLAINTEXT and SASL_SSL: SCRAM-SHA-512 or SCRAM-SHA-256.");
  public static final Setting SASL_USERNAME = setting("kafka.sasl.username", "",
      "SCRAM user name (the job's Kafka principal) for SASL_PLAINTEXT and SASL_SSL.");
  public static final Setting SASL_PASSWORD_FILE = setting("kafka.sasl.password-file", "",
      "File holding the SCRAM password (one trailing newline is ignored); read when the Kafka clients are built, never logged.");
  public static final Setting SASL_PASSWORD_ENV = setting("kafka.sasl.password-env", "",
      "Name of an environment variable holding the SCRAM password, instead of kafka.sasl.password-file.");
  public static final Setting SSL_TRUSTSTORE_LOCATION = setting("kafka.ssl.truststore.location", "",
      "Truststore (JKS, PKCS12 or PEM) with the CA of the brokers' certificates, for SSL and SASL_SSL; empty uses the JVM's.");
  public static final Setting SSL_TRUSTSTORE_PASSWORD_FILE = setting("kafka.ssl.truststore.password-file", "",
      "File holding the truststore's password, if it has one.");

  private final Map<String, String> values;

  private static Setting setting(String key, String defaultValue, String doc) {
    Setting setting = new Setting(key, defaultValue, doc);
    ALL.add(setting);
    return setting;
  }

  public ArbiterConfig(Map<String, String> values) {
    for (String key : values.keySet()) {
      if (key.equals("kafka.sasl.password")) {
        throw new IllegalArgumentException("option " + key + " does not exist: a password is never an option value;"
            + " use " + SASL_PASSWORD_FILE.key() + " or " + SASL_PASSWORD_ENV.key());
      }
      if (find(key) == null) {
        throw new IllegalArgumentException("unknown option '" + key + "'");
      }
    }
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  public static ArbiterConfig defaults() {
    return new ArbiterConfig(Map.of());
  }

  public static List<Setting> all() {
    return Collections.unmodifiableList(ALL);
  }

  /** The input topics the job subscribes to: turns, and outcomes and judge scores unless disabled. */
  public java.util.List<String> inputTopics() {
    java.util.LinkedHashSet<String> topics = new java.util.LinkedHashSet<>();
    for (Setting topic : java.util.List.of(TOPIC_TURNS, TOPIC_OUTCOMES, TOPIC_JUDGE_SCORES)) {
      if (!get(topic).isBlank()) {
        topics.add(get(topic).strip());
      }
    }
    return java.util.List.copyOf(topics);
  }

  /** The README's option table, one row per setting. */
  public static String markdownTable() {
    StringBuilder table = new StringBuilder("| option | default | meaning |\n|---|---|---|\n");
    for (Setting setting : ALL) {
      table.append("| `--").append(setting.key()).append("` | ")
          .append(setting.defaultValue().isEmpty() ? "" : "`" + setting.defaultValue() + "`")
          .append(" | ").append(setting.doc()).append(" |\n");
    }
    return table.toString();
  }

  public static Setting find(String key) {
    for (Setting setting : ALL) {
      if (setting.key().equals(key)) {
        return setting;
      }
    }
    return null;
  }

  public ArbiterConfig with(Setting setting, Object value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(setting.key(), String.valueOf(value));
    return new ArbiterConfig(copy);
  }

  /**
   * The options set explicitly, for display (the job's global parameters in the Flink UI). Holds
   * no secret: secrets are only named here (a file, an environment variable), see {@link KafkaSecurity}.
   */
  public Map<String, String> explicitValues() {
    return values;
  }

  public String get(Setting setting) {
    return values.getOrDefault(setting.key(), setting.defaultValue());
  }

  public long getLong(Setting setting) {
    String value = get(setting);
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option --" + setting.key() + " must be a whole number, got '" + value + "'");
    }
  }

  /** The value, which must be one of {@code allowed}. */
  public String choice(Setting setting, String... allowed) {
    String value = get(setting);
    for (String option : allowed) {
      if (option.equals(value)) {
        return value;
      }
    }
    throw new IllegalArgumentException("option --" + setting.key() + " must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
  }

  public boolean exactlyOnce() {
    return choice(DELIVERY, "exactly-once", "at-least-once").equals("exactly-once");
  }

  /** Fails with one sentence naming the option when a value is out of range. */
  public ArbiterConfig validated() {
    exactlyOnce();
    choice(STATE_BACKEND, "rocksdb", "hashmap");
    choice(STARTING_OFFSETS, "committed-or-earliest", "earliest", "latest");
    choice(PRE_AGGREGATION, "on", "off");
    positive(CHECKPOINT_INTERVAL_MS);
    positive(TRANSACTION_TIMEOUT_MS);
    nonNegative(PARALLELISM);
    nonNegative(OUT_OF_ORDERNESS_MS);
    positive(IDLENESS_MS);
    positive(MAX_EVENT_TIME_SKEW_MS);
    nonNegative(UNKNOWN_EXPERIMENT_HOLD_MS);
    nonNegative(JOIN_MAX_WAIT_MS);
    positive(UNIT_STATE_TTL_MS);
    nonNegative(UNIT_STATE_RECENT_UNITS);
    if (getLong(UNIT_STATE_RECENT_UNITS) > 10_000_000) {
      throw new IllegalArgumentException("option --" + UNIT_STATE_RECENT_UNITS.key() + " must be at most 10000000 (units held on the heap per subtask), got "
          + get(UNIT_STATE_RECENT_UNITS));
    }
    nonNegative(RECENT_WINDOWS);
    if (getLong(RECENT_WINDOWS) > 1_000_000) {
      throw new IllegalArgumentException("option --" + RECENT_WINDOWS.key() + " must be at most 1000000 (windows held on the heap per subtask), got "
          + get(RECENT_WINDOWS));
    }
    long recentWindowsMb = getLong(RECENT_WINDOWS_MB);
    if (recentWindowsMb < 1 || recentWindowsMb > 65536) {
      throw new IllegalArgumentException("option --" + RECENT_WINDOWS_MB.key() + " must be 1 to 65536 (MB of heap per subtask), got "
          + get(RECENT_WINDOWS_MB));
    }
    long writeBufferMb = getLong(ROCKSDB_WRITE_BUFFER_MB);
    if (writeBufferMb < 1 || writeBufferMb > 1024) {
      throw new IllegalArgumentException("option --" + ROCKSDB_WRITE_BUFFER_MB.key() + " must be 1 to 1024 (MB per memtable), got "
          + get(ROCKSDB_WRITE_BUFFER_MB));
    }
    KafkaSecurity.check(this);
    if (get(BOOTSTRAP_SERVERS).isBlank()) {
      throw new IllegalArgumentException("option --" + BOOTSTRAP_SERVERS.key() + " must name at least one HOST:PORT");
    }
    return this;
  }

  private void positive(Setting setting) {
    if (getLong(setting) <= 0) {
      throw new IllegalArgumentException("option --" + setting.key() + " must be greater than 0, got " + get(setting));
    }
  }

  private void nonNegative(Setting setting) {
    if (getLong(setting) < 0) {
      throw new IllegalArgumentException("option --" + setting.key() + " must be 0 or more, got " + get(setting));
    }
  }
}
