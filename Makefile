# SPDX-License-Identifier: GPL-2.0
#
# sbpipe: pipes for sandboxes.
#
#   make                 the module for one kernel, the library, the selftests
#   make KVER=<version>  ... for that Debian kernel (see scripts/kernels)
#   make check           every test on both supported kernels, in QEMU guests
#   make demo            sbpipe at work in a guest
#   make shell           an interactive guest shell with the module loaded
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

export KVER

.PHONY: all module modules modules_install userlib selftests clean deps \
	check demo shell

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

demo:
	scripts/demo --kernel $(KVER)

shell:
	scripts/vm-run --kernel $(KVER) --interactive -- bash -l

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || :
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	rm -rf build
