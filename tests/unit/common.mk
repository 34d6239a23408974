# tests/unit/common.mk -- unit tests for the common area (included by tests/local.mk).
