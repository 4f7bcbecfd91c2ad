# SPDX-License-Identifier: GPL-2.0
#
# Packages of the Hone sensor, all built from this folder:
#   make tarball    hone-$(VERSION).tar.gz (sources, dkms.conf, hone.spec)
#   make deb        hone-dkms_$(VERSION)_all.deb (dkms builds the modules on install)
#   make rpm        hone-dkms-$(VERSION)-1.noarch.rpm (needs rpmbuild)
#   make tools-deb  hone-tools_$(VERSION)_<arch>.deb: honeread, hone.service,
#                   logrotate policy, Wireshark plugin (built from ../tools for
#                   this machine)
#   make tools-rpm  hone-tools-$(VERSION)-1.<arch>.rpm (needs rpmbuild; on a
#                   Debian host RPMBUILD_FLAGS=--nodeps, rpm knows no gcc there)
#   make packages   all of them
# VERSION comes from dkms.conf.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
PKG_SOURCES := $(wildcard $(CURDIR)/*.c $(CURDIR)/*.h) $(CURDIR)/Kbuild $(CURDIR)/Makefile \
	$(CURDIR)/dkms.conf $(CURDIR)/FORMAT.md $(CURDIR)/60-hone.rules
PKG_OUT := $(CURDIR)/pkg-build

.PHONY: tarball deb rpm packages tools-tarball tools-deb tools-rpm

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

# --- hone-tools: the recorder, its service and rotation, the Wireshark plugin ---

TOOLS := $(abspath $(CURDIR)/../tools)
TOOLS_SOURCES := $(TOOLS)/honeread/Makefile $(wildcard $(TOOLS)/honeread/*.c $(TOOLS)/honeread/*.h) \
	$(TOOLS)/honeread/hone.service $(TOOLS)/honeread/hone.logrotate $(TOOLS)/wireshark/hone.lua $(TOOLS)/README.md
TOOLS_DEB := $(PKG_OUT)/tools-deb
DEB_ARCH = $(shell dpkg --print-architecture)
MULTIARCH = $(shell $(CC) -print-multiarch)

tools-deb: $(TOOLS_SOURCES) $(CURDIR)/honeevent.h
	$(MAKE) -C $(TOOLS)/honeread clean all
	rm -rf $(TOOLS_DEB) && mkdir -p $(TOOLS_DEB)/DEBIAN $(TOOLS_DEB)/usr/lib/$(MULTIARCH)/wireshark/plugins
	$(MAKE) -C $(TOOLS)/honeread install DESTDIR=$(TOOLS_DEB) PREFIX=/usr
	install -D -m 0644 $(TOOLS)/wireshark/hone.lua $(TOOLS_DEB)/usr/share/hone/wireshark/hone.lua
	ln -s /usr/share/hone/wireshark/hone.lua $(TOOLS_DEB)/usr/lib/$(MULTIARCH)/wireshark/plugins/hone.lua
	install -D -m 0644 $(TOOLS)/README.md $(TOOLS_DEB)/usr/share/doc/hone-tools/README.md
	sed -e 's/@VERSION@/$(VERSION)/g' -e 's/@ARCH@/$(DEB_ARCH)/g' $(CURDIR)/packaging/deb-tools/control.in > $(TOOLS_DEB)/DEBIAN/control
	cp $(CURDIR)/packaging/deb-tools/conffiles $(TOOLS_DEB)/DEBIAN/
	for s in postinst prerm postrm; do \
		install -m 0755 $(CURDIR)/packaging/deb-tools/$$s $(TOOLS_DEB)/DEBIAN/$$s; done
	dpkg-deb --root-owner-group --build $(TOOLS_DEB) $(PKG_OUT)/hone-tools_$(VERSION)_$(DEB_ARCH).deb

tools-tarball: $(PKG_OUT)/hone-tools-$(VERSION).tar.gz

$(PKG_OUT)/hone-tools-$(VERSION).tar.gz: $(TOOLS_SOURCES) $(CURDIR)/honeevent.h $(CURDIR)/packaging/hone-tools.spec.in
	rm -rf $(PKG_OUT)/hone-tools-$(VERSION) && mkdir -p $(PKG_OUT)/hone-tools-$(VERSION)/honeread $(PKG_OUT)/hone-tools-$(VERSION)/wireshark
	cp $(filter $(TOOLS)/honeread/%,$(TOOLS_SOURCES)) $(CURDIR)/honeevent.h $(PKG_OUT)/hone-tools-$(VERSION)/honeread/
	cp $(TOOLS)/wireshark/hone.lua $(PKG_OUT)/hone-tools-$(VERSION)/wireshark/
	cp $(TOOLS)/README.md $(PKG_OUT)/hone-tools-$(VERSION)/
	sed 's/@VERSION@/$(VERSION)/g' $(CURDIR)/packaging/hone-tools.spec.in > $(PKG_OUT)/hone-tools-$(VERSION)/hone-tools.spec
	tar -C $(PKG_OUT) --owner=0 --group=0 -czf $@ hone-tools-$(VERSION)
	@echo "built $@"

tools-rpm: tools-tarball
	@command -v rpmbuild >/dev/null || { echo "rpmbuild not found: apt-get install rpm (Debian) or dnf install rpm-build"; exit 1; }
	rpmbuild -ta $(RPMBUILD_FLAGS) --define "_topdir $(PKG_OUT)/rpm" $(PKG_OUT)/hone-tools-$(VERSION).tar.gz
	cp $(PKG_OUT)/rpm/RPMS/*/hone-tools-*.rpm $(PKG_OUT)/

packages: tarball deb rpm tools-deb tools-rpm
