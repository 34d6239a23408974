# packaging/local.mk -- Debian and RPM packaging files (shipped in the tarball).
EXTRA_DIST += packaging/debian/control packaging/debian/rules packaging/debian/changelog \
	packaging/debian/source/format packaging/debian/kanal.postinst packaging/rpm/kanal.spec
