# controller/local.mk -- kanal-controller (included by the top Makefile.am).
# The controller's rooms are built into libkncontroller.a so unit tests and
# the integration helpers can link the same code as the daemon.

noinst_LIBRARIES += libkncontroller.a
libkncontroller_a_SOURCES = \
	controller/controller.h \
	controller/assign.c \
	controller/state.c \
	controller/events.c \
	controller/election.c \
	controller/channel.c

bin_PROGRAMS += kanal-controller
kanal_controller_SOURCES = controller/main.c
kanal_controller_LDADD = libkncontroller.a libkanal.a $(KN_COMMON_LIBS)
