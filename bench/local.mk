# bench/local.mk -- build lines of bench/ (included by the top Makefile.am).
