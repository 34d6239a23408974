# tests/integration/local.mk -- helper programs and scripts of the
# integration suite (run by `make check-integration`).
# Helper programs go in check_PROGRAMS (built by `make check`, never in TESTS);
# scripts are tests/integration/test_*.py or test_*.sh.

