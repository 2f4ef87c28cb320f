#!/usr/bin/env bash
# Creates Arbiter's topics with the job's default names (ArbiterConfig); DockerRecipeTest checks
# that the names agree. Inputs and outputs get 4 partitions (the job runs at parallelism 2 here);
# the registry is compacted and has one partition, so definitions keep their order.
set -euo pipefail
bootstrap="$1"
create() {
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists --replication-factor 1 "$@"
}
create --topic llm.turns --partitions 4 --config retention.ms=604800000
create --topic llm.outcomes --partitions 4 --config retention.ms=604800000
create --topic llm.judge-scores --partitions 4 --config retention.ms=604800000
create --topic experiments --partitions 1 --config cleanup.policy=compact
create --topic experiments.metrics --partitions 4 --config retention.ms=2592000000
create --topic experiments.decisions --partitions 4 --config retention.ms=2592000000
create --topic llm.dead-letters --partitions 4 --config retention.ms=1209600000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --list
