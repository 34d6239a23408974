# etc/local.mk -- sample configuration, systemd units and logrotate snippet.
kanalconfdir = $(sysconfdir)/kanal
dist_kanalconf_DATA = etc/broker.properties etc/controller.properties
EXTRA_DIST += etc/systemd/kanal-broker.service etc/systemd/kanal-controller.service etc/logrotate.d-kanal
