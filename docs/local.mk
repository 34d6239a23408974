# docs/local.mk -- documentation and man pages.
EXTRA_DIST += docs/architecture.md docs/operations.md docs/protocol-support.md

# kanal-controller(8).
dist_man_MANS += docs/kanal-controller.8

# kctl-topics(1), kctl-console-producer(1), kctl-console-consumer(1).
dist_man_MANS += docs/kctl-topics.1 docs/kctl-console-producer.1 docs/kctl-console-consumer.1

# kanal-broker(8).
dist_man_MANS += docs/kanal-broker.8

# kctl-perf-producer(1), kctl-perf-consumer(1) and the benchmark page.
dist_man_MANS += docs/kctl-perf-producer.1 docs/kctl-perf-consumer.1
EXTRA_DIST += docs/benchmarks.md
