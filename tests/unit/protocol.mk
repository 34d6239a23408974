# tests/unit/protocol.mk -- unit tests for the protocol area (included by tests/local.mk).
