# tools/local.mk -- build lines of tools/ (included by the top Makefile.am).
