# SPDX-License-Identifier: GPL-2.0
#
# sbpipe: pipes for sandboxes.
#
#   make                 the module for one kernel, the library, the selftests
#   make KVER=<version>  ... for that Debian kernel (see scripts/kernels)
#   make check           every test on both supported kernels, in QEMU guests
#   make check-debug     the tests under KASAN/lockdep/kmemleak and KCSAN
#                        kernels built from linux-source-6.12
#   make demo            sbpipe at work in a guest
#   make shell           an interactive guest shell with the module loaded
#   make install         module, library, tools, headers, man pages, udev rule
#   make dkms-install    register the source with DKMS and build it
#   make kselftest-install  a kselftest tree with the kernel's runner
#
# The module for kernel KVER is built in build/KVER/, so that builds for
# several kernels live side by side. `make modules` is the plain kbuild
# build in this directory, as DKMS and kernel trees expect it.

SHELL := /bin/bash

ifeq ($(origin KVER),undefined)
KVER := $(shell uname -r)
ifeq ($(wildcard /lib/modules/$(KVER)/build),)
KVER := $(shell $(CURDIR)/scripts/kernels --newest)
endif
endif
KDIR ?= /lib/modules/$(KVER)/build
KBUILD_OUT := $(CURDIR)/build/$(KVER)

VERSION := $(shell cat $(CURDIR)/VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
UDEVDIR ?= /lib/udev/rules.d
MODULES_LOAD ?= 0
KSFT_DIR ?= /var/cache/sbpipe/linux/tools/testing/selftests
KSFT_INSTALL_PATH ?= $(CURDIR)/build/kselftest
DKMS_SRC := $(DESTDIR)/usr/src/sbpipe-$(VERSION)
# DKMS builds for these kernels; by default every one with headers.
DKMS_KVERS ?= $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build)))

export KVER

.PHONY: all module modules modules_install userlib selftests clean deps \
	check check-debug check-all demo shell install uninstall dkms-install \
	dkms-uninstall kselftest-install bench

all: module userlib selftests

# The kbuild tree in build/KVER mirrors the sources through symlinks, so
# that objects for different kernels never meet.
module:
	@scripts/build-tree $(KBUILD_OUT)
	$(MAKE) -C $(KDIR) M=$(KBUILD_OUT) modules

modules modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

userlib:
	$(MAKE) -C userlib

selftests:
	$(MAKE) -C selftests

deps:
	scripts/deps

check:
	scripts/check

check-debug:
	scripts/check-debug

# Both: every test, with one summary line.
check-all:
	scripts/check-all

# Benchmarks against native pipes in guests (bench/run): one kernel, or
# every supported one with KERNELS=all; BENCH_ARGS passes options on.
bench:
	bench/run $(if $(filter all,$(KERNELS)),--all,--kernel $(KVER)) \
		$(BENCH_ARGS)

demo:
	scripts/demo --kernel $(KVER)

shell:
	scripts/vm-run --kernel $(KVER) --interactive -- bash -l

# The module goes where kbuild puts external modules, under updates/ so
# that it takes precedence over any in-tree copy, and depmod indexes it
# (into a DESTDIR, whoever installs the staged tree runs depmod). The
# distribution's signing key is not on the machine, so no signing.
install: module userlib
	$(MAKE) -C $(KDIR) M=$(KBUILD_OUT) INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(DESTDIR),,depmod $(KVER))
	$(MAKE) -C userlib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 644 packaging/60-sbpipe.rules \
		$(DESTDIR)$(UDEVDIR)/60-sbpipe.rules
ifeq ($(MODULES_LOAD),1)
	install -D -m 644 packaging/sbpipe-modules-load.conf \
		$(DESTDIR)/etc/modules-load.d/sbpipe.conf
endif

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/sbpipe.ko*
	$(if $(DESTDIR),,depmod $(KVER))
	$(MAKE) -C userlib uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(UDEVDIR)/60-sbpipe.rules \
		$(DESTDIR)/etc/modules-load.d/sbpipe.conf

# DKMS keeps its own copy of the kernel source part in /usr/src.
dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -R Kbuild VERSION dkms.conf module uapi $(DKMS_SRC)/
	dkms status -m sbpipe -v $(VERSION) | grep -q . || \
		dkms add -m sbpipe -v $(VERSION)
	set -e; for k in $(DKMS_KVERS); do \
		dkms build -m sbpipe -v $(VERSION) -k $$k; \
		dkms install -m sbpipe -v $(VERSION) -k $$k; \
	done

dkms-uninstall:
	-dkms remove -m sbpipe -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# A tree that runs as the kernel's own kselftest installs do:
# run_kselftest.sh, its runner, and the tests under drivers/sbpipe.
kselftest-install: selftests
	rm -rf $(KSFT_INSTALL_PATH)
	$(MAKE) -C selftests install \
		INSTALL_PATH=$(KSFT_INSTALL_PATH)/drivers/sbpipe
	cp -R $(KSFT_DIR)/run_kselftest.sh $(KSFT_DIR)/kselftest \
		$(KSFT_INSTALL_PATH)/
	$(MAKE) -s --no-print-directory -C selftests emit_tests \
		COLLECTION=drivers/sbpipe > $(KSFT_INSTALL_PATH)/kselftest-list.txt

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || :
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	rm -rf build
