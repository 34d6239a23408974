# tests/unit/log.mk -- unit tests for the log area (included by tests/local.mk).
