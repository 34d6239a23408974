# controller/local.mk -- build lines of controller/ (included by the top Makefile.am).
