#!/usr/bin/env bash
# Installs the host packages the guest test needs, with apt-get, when any is
# missing: debootstrap builds the guest images, qemu boots them, xorriso
# (xorrisofs) writes the cloud-init seed, mke2fs makes the disk image without
# a loop mount. DHCP comes from KubeVirt's own servers (e2e/tools/kvdhcp).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
have debootstrap        || need+=(debootstrap)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have xorrisofs          || need+=(xorriso)
have ip                 || need+=(iproute2)
have mke2fs             || need+=(e2fsprogs)
have ping               || need+=(iputils-ping)

if [ ${#need[@]} -eq 0 ]; then
	echo "guest test host packages: all present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "the guest test needs these Debian packages, and root to install them: ${need[*]}" >&2
	exit 1
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists, or old ones.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
