# tests/unit/record.mk -- unit tests for the record area (included by tests/local.mk).
