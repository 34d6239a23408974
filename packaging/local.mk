# packaging/local.mk -- build lines of packaging/ (included by the top Makefile.am).
