# SPDX-License-Identifier: GPL-2.0
#
# Packages of the Hone sensor, all built from this folder:
#   make tarball    hone-$(VERSION).tar.gz (sources, dkms.conf, hone.spec)
#   make deb        hone-dkms_$(VERSION)_all.deb (dkms builds the modules on install)
#   make rpm        hone-dkms-$(VERSION)-1.noarch.rpm (needs rpmbuild)
#   make packages   all three
# VERSION comes from dkms.conf.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
PKG_SOURCES := $(wildcard $(CURDIR)/*.c $(CURDIR)/*.h) $(CURDIR)/Kbuild $(CURDIR)/Makefile \
	$(CURDIR)/dkms.conf $(CURDIR)/FORMAT.md $(CURDIR)/60-hone.rules
PKG_OUT := $(CURDIR)/pkg-build

.PHONY: tarball deb rpm packages

tarball: $(PKG_OUT)/hone-$(VERSION).tar.gz

$(PKG_OUT)/hone-$(VERSION).tar.gz: $(PKG_SOURCES) $(CURDIR)/packaging/hone.spec.in
	rm -rf $(PKG_OUT)/hone-$(VERSION) && mkdir -p $(PKG_OUT)/hone-$(VERSION)
	cp $(PKG_SOURCES) $(PKG_OUT)/hone-$(VERSION)/
	sed 's/@VERSION@/$(VERSION)/g' $(CURDIR)/packaging/hone.spec.in > $(PKG_OUT)/hone-$(VERSION)/hone.spec
	tar -C $(PKG_OUT) --owner=0 --group=0 -czf $@ hone-$(VERSION)
	@echo "built $@"

deb: $(PKG_SOURCES)
	rm -rf $(PKG_OUT)/deb && mkdir -p $(PKG_OUT)/deb/DEBIAN $(PKG_OUT)/deb/usr/src/hone-$(VERSION) \
		$(PKG_OUT)/deb/usr/share/doc/hone-dkms/examples
	cp $(PKG_SOURCES) $(PKG_OUT)/deb/usr/src/hone-$(VERSION)/
	cp $(CURDIR)/60-hone.rules $(PKG_OUT)/deb/usr/share/doc/hone-dkms/examples/
	sed 's/@VERSION@/$(VERSION)/g' $(CURDIR)/packaging/deb/control.in > $(PKG_OUT)/deb/DEBIAN/control
	for s in postinst prerm; do \
		sed 's/@VERSION@/$(VERSION)/g' $(CURDIR)/packaging/deb/$$s > $(PKG_OUT)/deb/DEBIAN/$$s; \
		chmod 0755 $(PKG_OUT)/deb/DEBIAN/$$s; done
	dpkg-deb --root-owner-group --build $(PKG_OUT)/deb $(PKG_OUT)/hone-dkms_$(VERSION)_all.deb

rpm: tarball
	@command -v rpmbuild >/dev/null || { echo "rpmbuild not found: apt-get install rpm (Debian) or dnf install rpm-build"; exit 1; }
	rpmbuild -ta --define "_topdir $(PKG_OUT)/rpm" $(PKG_OUT)/hone-$(VERSION).tar.gz
	cp $(PKG_OUT)/rpm/RPMS/noarch/*.rpm $(PKG_OUT)/

packages: tarball deb rpm
