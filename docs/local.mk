# docs/local.mk -- documentation and man pages.
EXTRA_DIST += docs/architecture.md docs/operations.md docs/protocol-support.md
