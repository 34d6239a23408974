# broker/local.mk -- build lines of broker/ (included by the top Makefile.am).
