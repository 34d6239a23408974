# tests/unit/broker.mk -- unit tests for the broker area (included by tests/local.mk).
