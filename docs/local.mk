# docs/local.mk -- build lines of docs/ (included by the top Makefile.am).
