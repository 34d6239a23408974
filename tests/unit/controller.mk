# tests/unit/controller.mk -- unit tests for the controller area (included by tests/local.mk).
