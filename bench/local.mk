# bench/local.mk -- build lines of bench/ (included by the top Makefile.am).

# ---- storage benchmark (bench/log_append.c, bench/log-append.sh) ---------
# Not a test: built with the rest, run by bench/log-append.sh.
noinst_PROGRAMS += bench/log_append
bench_log_append_SOURCES = bench/log_append.c
bench_log_append_LDADD = libkanal_log.a libkanal.a $(KN_COMMON_LIBS) -lpthread
dist_noinst_SCRIPTS += bench/log-append.sh
# ---- end of storage benchmark block ---------------------------------------

# ---- benchmark matrix (bench/run, see docs/benchmarks.md) ----------------
# Not built or run by make: bench/run starts its own clusters and peers and
# compiles bench/nats_bench.c itself against libnats-dev, which Kanal does
# not otherwise depend on.
dist_noinst_SCRIPTS += bench/run bench/deps.sh
EXTRA_DIST += bench/bench_cases.py bench/nats_bench.c
# ---- end of benchmark matrix block ---------------------------------------

# ---- replication benchmark (bench/replication.py) -------------------------
# RF=3 acks=all vs RF=1 acks=1 throughput and fail-over times; run by hand.
dist_noinst_SCRIPTS += bench/replication.py
# ---- end of replication benchmark block -----------------------------------
