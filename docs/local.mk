# docs/local.mk -- documentation and man pages.
EXTRA_DIST += docs/architecture.md docs/operations.md docs/protocol-support.md

# kanal-controller(8).
dist_man_MANS += docs/kanal-controller.8
