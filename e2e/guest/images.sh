#!/usr/bin/env bash
# Builds the guest images of one Debian release for the guest test from
# Debian's packages only, and prints the folder that holds them: one folder
# per cloud-init renderer, each with root.img (ext4, made without a loop
# mount), vmlinuz and initrd.img.
#
#   e2e/guest/images.sh [bookworm|trixie]    (default bookworm: Debian 12)
#
# The images are cached outside the clone, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/vmnet-webhook/guest/<key>, where the key is
# a hash of this script and the release: changing the script builds anew,
# running it again does not. A build happens in a temporary folder that is
# renamed into place only when complete, so an interrupted build never
# leaves a bad cache.
#
# Renderers: eni (ifupdown + isc-dhcp-client, Debian 12's default), netplan
# (netplan.io, ifupdown removed; Debian 13's cloud images use it), networkd
# (systemd-networkd alone), network-manager (ifupdown removed). cloud-init
# picks its renderer by itself from what is installed; each folder is named
# as cloud-init names it.
set -euo pipefail
trap 'echo "images.sh: failed at line $LINENO" >&2' ERR

SUITE=${1:-bookworm}
# Packages of every image. udev names the NIC (enp1s0); dbus lets cloud-init
# set the host name through hostnamectl.
BASE_PACKAGES=linux-image-amd64,systemd-sysv,udev,dbus,cloud-init,iproute2,iputils-ping
case $SUITE in
bookworm)
	BASE_PACKAGES=$BASE_PACKAGES,ifupdown,isc-dhcp-client
	RENDERERS="eni netplan networkd network-manager"
	;;
trixie)
	# No eni: Debian 13 leaves ifupdown to those who ask for it.
	RENDERERS="netplan networkd network-manager"
	;;
*)
	echo "images.sh: unknown release $SUITE (bookworm or trixie)" >&2
	exit 2
	;;
esac
IMAGE_SIZE=2G

self=$(readlink -f "$0")
key=$({ cat "$self"; echo "$SUITE"; } | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmnet-webhook/guest
dest=$cache/$key

if [ -f "$dest/ok" ]; then
	touch "$dest" # in use: see the clean-up at the end
	echo "$dest"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "building the guest images needs root (debootstrap, chroot)" >&2
	exit 1
fi
for tool in debootstrap mke2fs unshare chroot; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "missing $tool: run e2e/guest/setup.sh" >&2; exit 1; }
done

# The Debian mirror this host's apt uses, so that no host is named here.
mirror=${GUEST_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
fi
if [ -z "$mirror" ]; then
	mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]\+[a-z]\+[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
fi
if [ -z "$mirror" ]; then
	echo "cannot find a Debian mirror in this host's apt sources; set GUEST_MIRROR" >&2
	exit 1
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The build's log stays beside the cache, for when a build fails.
buildlog=$cache/build-$SUITE.log
: >"$buildlog"
log() { printf '%s images: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Runs a command chrooted into $1 with /proc, /sys and /dev mounted in a
# private mount namespace, so the mounts end with the command whatever happens.
in_root() {
	local root=$1
	shift
	unshare --mount --propagation private -- sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" && mount --rbind /dev "$root/dev" &&
		exec chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' sh "$root" "$@"
}

base=$tmp/root-base
log "debootstrap $SUITE (minbase), then apt-get install $BASE_PACKAGES"
# debootstrap does not resolve virtual packages (python3-cryptography needs
# one): it makes the minimal system, apt in the chroot adds the rest.
nice debootstrap --variant=minbase "$SUITE" "$base" "$mirror" >>"$buildlog" 2>&1 ||
	{ tail -n 30 "$buildlog" >&2; exit 1; }
printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
chmod +x "$base/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$base/etc/resolv.conf"
# As the host's apt does: package lists of a fixed date may be past their
# Valid-Until.
printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' >"$base/etc/apt/apt.conf.d/99vmnet-guest"
{ in_root "$base" apt-get update -q && in_root "$base" apt-get install -y -q --no-install-recommends $(echo "$BASE_PACKAGES" | tr , ' '); } >>"$buildlog" 2>&1 ||
	{ tail -n 30 "$buildlog" >&2; exit 1; }

echo vmnet-guest >"$base/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$base/etc/hosts"
echo '/dev/vda / ext4 defaults 0 1' >"$base/etc/fstab"

# cloud-init: only the NoCloud seed, as KubeVirt gives it. Debian's minimal
# system has no locales and no ssh server: skip those modules in the system
# config so that user-data stays as the VM has it.
cat >"$base/etc/cloud/cloud.cfg.d/90-vmnet-guest.cfg" <<'CFG'
datasource_list: [NoCloud, None]
locale: false
ssh_genkeytypes: []
CFG

# The diagnostic: once the boot and cloud-init have finished, print what
# the guest has to the serial console, each line prefixed so the test can
# pick it out of the console output, between two markers. A simple service
# with no ordering: ordered after cloud-final (itself after
# multi-user.target) it would make a cycle, and as a oneshot it would be
# killed by the start timeout while a guest waits for its network.
cat >"$base/usr/local/sbin/vmnet-diag" <<'DIAG'
#!/bin/sh
systemctl is-system-running --wait >/dev/null 2>&1
cloud-init status --wait >/dev/null 2>&1
{
	echo "vmnet-diag: begin"
	cloud-init status --long 2>&1 | sed 's/^/vmnet-diag: status /'
	grep -h 'Selected renderer' /var/log/cloud-init.log | tail -n1 | sed 's/^.*Selected renderer/vmnet-diag: renderer/'
	dmesg | grep 'renamed from' | sed 's/^/vmnet-diag: rename /'
	ip -o link | sed 's/^/vmnet-diag: link /'
	ip -o addr | sed 's/^/vmnet-diag: addr /'
	ip -4 route | sed 's/^/vmnet-diag: route4 /'
	ip -6 route | sed 's/^/vmnet-diag: route6 /'
	systemctl --failed --no-legend --plain | sed 's/^/vmnet-diag: failed /'
	echo "vmnet-diag: end"
} >/dev/ttyS0 2>&1
DIAG
chmod +x "$base/usr/local/sbin/vmnet-diag"
cat >"$base/etc/systemd/system/vmnet-diag.service" <<'UNIT'
[Unit]
Description=vmnet guest test: the network as cloud-init left it, on the serial console

[Service]
Type=simple
ExecStart=/usr/local/sbin/vmnet-diag

[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/vmnet-diag.service "$base/etc/systemd/system/multi-user.target.wants/vmnet-diag.service"

# systemd-networkd is a package of its own from Debian 13 on, part of
# systemd before: prints its name where it is one.
networkd_package() {
	if in_root "$1" apt-cache show systemd-networkd >/dev/null 2>&1; then
		echo systemd-networkd
	fi
}

# Turns a root folder into a renderer's image: kernel, initrd and an ext4
# disk image filled from the folder (mke2fs -d: no loop mount).
finish() {
	local name=$1 root=$2 out=$tmp/$1
	mkdir -p "$out"
	rm -f "$root/usr/sbin/policy-rc.d"
	rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
	cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)" "$out/vmlinuz"
	cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -n1)" "$out/initrd.img"
	chroot "$root" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' cloud-init linux-image-amd64 ifupdown netplan.io network-manager systemd 2>/dev/null |
		awk '$1 == "ii" { print $2, $3 }' >"$out/packages" || true # dpkg-query fails on the packages not installed
	nice mke2fs -q -t ext4 -L root -d "$root" "$out/root.img" "$IMAGE_SIZE" >>"$buildlog" 2>&1
	log "$name: $(tr '\n' ' ' <"$out/packages")"
}

for renderer in $RENDERERS; do
	root=$tmp/root-$renderer
	case $renderer in
	eni)
		log "eni: as debootstrapped"
		cp -a "$base" "$root"
		;;
	netplan)
		log "netplan: netplan.io, ifupdown removed"
		cp -a "$base" "$root"
		in_root "$root" apt-get install -y -q --no-install-recommends netplan.io $(networkd_package "$root") >>"$buildlog" 2>&1 ||
			{ tail -n 30 "$buildlog" >&2; exit 1; }
		in_root "$root" apt-get purge -y -q ifupdown >>"$buildlog" 2>&1
		;;
	networkd)
		log "networkd: systemd-networkd alone, ifupdown removed"
		cp -a "$base" "$root"
		{ in_root "$root" apt-get install -y -q --no-install-recommends $(networkd_package "$root") &&
			in_root "$root" apt-get purge -y -q ifupdown; } >>"$buildlog" 2>&1 ||
			{ tail -n 30 "$buildlog" >&2; exit 1; }
		in_root "$root" systemctl enable systemd-networkd.service >>"$buildlog" 2>&1
		;;
	network-manager)
		log "network-manager: network-manager, ifupdown removed"
		cp -a "$base" "$root"
		{ in_root "$root" apt-get install -y -q --no-install-recommends network-manager &&
			in_root "$root" apt-get purge -y -q ifupdown; } >>"$buildlog" 2>&1 ||
			{ tail -n 30 "$buildlog" >&2; exit 1; }
		;;
	esac
	finish "$renderer" "$root"
	rm -rf "$root"
done
rm -rf "$base"

date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp/ok"
if ! mv -T "$tmp" "$dest" 2>/dev/null; then
	# Another build finished first: keep its result.
	[ -f "$dest/ok" ] || { echo "cannot move the images into $dest" >&2; exit 1; }
fi
trap - EXIT
rm -rf "$tmp"
# Images of other versions of this script go once unused for a day (another
# clone may be booting them now), as do builds interrupted that long ago.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mmin +1440 -exec rm -rf {} +
echo "$dest"
