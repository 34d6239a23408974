# etc/local.mk -- build lines of etc/ (included by the top Makefile.am).
