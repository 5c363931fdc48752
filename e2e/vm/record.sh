#!/usr/bin/env bash
# e2e/vm/record.sh: record captures of a Linux host with ACTIVE LVM logical volumes (dm-N
# devices, snapshots, thin, raid1, mirror, cache, LUKS, nested LVM) by booting Debian's own
# kernel in a throwaway qemu VM over sparse disk files, and copy them with reference values
# from independent tools into testdata/hosts/. README.md beside this file says what it does.
#
# Run as root on Debian (bookworm): e2e/vm/record.sh
#   TIMEOUT=1800   seconds the VM may run (default 1800)
#   ACCEL=tcg      qemu accelerator (default tcg: software emulation; kvm where it works)
#   KPKG=linux-image-6.1.0-NN-amd64   kernel package (default: what linux-image-amd64 depends on)
#   AGENT_REV=HEAD build the agent from that commit instead of the work tree
#   KEEP=1         keep the temp dir (kernel, initramfs, disk images, console log, results)
#
# The host is only read: nothing is installed but missing packages, no loop device, mount,
# VG or network is touched (the VM has no network device). Everything lives in a private
# temp dir that is removed on exit, also on failure.
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hosts=$root/testdata/hosts
TIMEOUT=${TIMEOUT:-1800}
ACCEL=${ACCEL:-tcg}

say() { echo "record.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root"
t0=$(date +%s)
lap() { echo "$(($(date +%s) - t0))s"; }

# shellcheck source=e2e/vm/lib.sh
. "$here/lib.sh"
vm_tmp sms-vm

# --- host tools (only what is missing is installed)
need=()
have qemu-system-x86_64 || need+=(qemu-system-x86)
pkg_ok busybox-static || need+=(busybox-static)
have lvm || need+=(lvm2)
have dmsetup || need+=(dmsetup)
have thin_check || need+=(thin-provisioning-tools)
have cryptsetup || need+=(cryptsetup-bin)
have mkfs.xfs || need+=(xfsprogs)
have mke2fs || need+=(e2fsprogs)
have sfdisk || need+=(fdisk)
{ have lsblk && have blkid && have partx; } || need+=(util-linux)
{ have depmod && have modprobe; } || need+=(kmod)
have cpio || need+=(cpio)
have go || die "needs go (to build the agent)"
vm_install "${need[@]}"
/bin/busybox --list >"$tmp/applets" && grep -qx modprobe "$tmp/applets" || die "/bin/busybox is not busybox-static's"
! ldd /bin/busybox >/dev/null 2>&1 || die "/bin/busybox is not static (install busybox-static)"

# --- the kernel: Debian's package, extracted into the temp dir (never installed)
vm_kernel
say "kernel $kver ($kdeb_version) extracted ($(lap))"

# --- the agent, from this work tree (or from commit AGENT_REV)
src=$root
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
if [ -n "${AGENT_REV:-}" ]; then
	src=$tmp/src
	mkdir -p "$src"
	git -C "$root" archive "$AGENT_REV" | tar -x -C "$src"
	version=$(git -C "$root" describe --tags --always "$AGENT_REV")
fi
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$tmp/sms-agent" ./cmd/sms-agent)
say "agent $version built ($(lap))"

# --- the initramfs: merged /usr like Debian 12; busybox applets in /bb, outside the
# agent's tool search path, so that the agent finds exactly the host's real tools.
ir=$tmp/initrd
mkdir -p "$ir"/usr/{bin,sbin,lib,lib64,local/bin} "$ir"/{bb,etc/lvm,proc,sys,dev,run,tmp,mnt}
ln -s usr/bin "$ir/bin"
ln -s usr/sbin "$ir/sbin"
ln -s usr/lib "$ir/lib"
ln -s usr/lib64 "$ir/lib64"
cp /bin/busybox "$ir/bb/busybox"
ln -s /bb/busybox "$ir/bb/sh"
ln -s /bb/busybox "$ir/usr/sbin/modprobe" # the kernel's request_module runs /sbin/modprobe

for b in /usr/sbin/lvm /usr/sbin/dmsetup /usr/sbin/blkid /usr/bin/lsblk /usr/bin/stat /usr/bin/df \
	/usr/sbin/mke2fs /usr/sbin/mkfs.xfs /usr/sbin/sfdisk /usr/bin/partx /usr/sbin/cryptsetup \
	/usr/sbin/pdata_tools; do
	copy_bin "$b"
done
ln -s mke2fs "$ir/usr/sbin/mkfs.ext4"
for t in thin_check thin_dump thin_repair thin_restore cache_check cache_dump cache_repair cache_restore; do
	ln -s pdata_tools "$ir/usr/sbin/$t"
done
for t in pvcreate pvs vgcreate vgs vgchange lvcreate lvs lvchange lvconvert lvremove; do
	ln -s lvm "$ir/usr/sbin/$t"
done
install -m 0755 "$tmp/sms-agent" "$ir/usr/local/bin/sms-agent"
install -m 0755 "$here/guest-init.sh" "$ir/init"
copy_file /etc/mke2fs.conf
copy_file /usr/lib/os-release
ln -s ../usr/lib/os-release "$ir/etc/os-release"
printf 'root:x:0:0:root:/root:/bb/sh\n' >"$ir/etc/passwd"
printf 'root:x:0:\ndisk:x:6:\n' >"$ir/etc/group"
cp -r /etc/ld.so.conf /etc/ld.so.conf.d "$ir/etc/" 2>/dev/null || true
ldconfig -r "$ir"
# No udev in the VM: lvm and libdevmapper create the /dev nodes themselves; no dmeventd,
# no lvmpolld. scan_lvs is switched on by the guest for the nested-LVM capture only.
cat >"$ir/etc/lvm/lvm.conf" <<'EOF'
# lvm.conf of the sms-agent recording VM (e2e/vm): no udev, no daemons.
devices {
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	use_devicesfile = 0
	scan_lvs = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
global {
	use_lvmpolld = 0
}
EOF
# Modules, in load order; their dependencies come from modules.dep (busybox modprobe).
modules="virtio_pci virtio_blk dm_mod dm_snapshot dm_thin_pool dm_mirror raid1 raid10 dm_raid dm_cache dm_cache_smq dm_crypt ecb xts algif_skcipher algif_hash ext4 xfs"
# shellcheck disable=SC2086
vm_modules $modules
echo "$modules" >"$ir/etc/vm-modules"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/initrd.gz"
say "initramfs $(du -h "$tmp/initrd.gz" | cut -f1) built ($(lap))"

# --- the VM: three layout disks, one output disk, no network
truncate -s 3G "$tmp/vda.img"
truncate -s 2G "$tmp/vdb.img"
truncate -s 1G "$tmp/vdc.img"
truncate -s 64M "$tmp/out.img"
disk() { echo "-drive if=none,id=$1,file=$tmp/$2,format=raw,cache=$3 -device virtio-blk-pci,drive=$1,serial=$4"; }
cpu=max
[ "$ACCEL" = kvm ] && cpu=host
say "booting the VM ($ACCEL; console below)"
# shellcheck disable=SC2046
vm_boot "$TIMEOUT" -machine q35 -accel "$ACCEL" -cpu "$cpu" -m 1024 -smp 2 \
	-nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$tmp/initrd.gz" -append 'console=ttyS0 panic=-1 quiet' \
	$(disk a vda.img unsafe smsvm-a) $(disk b vdb.img unsafe smsvm-b) $(disk c vdc.img unsafe smsvm-c) \
	$(disk out out.img writeback smsvm-out)
say "VM ran ${vm_secs}s"

# --- the results
res=$tmp/result
mkdir -p "$res"
tar -xf "$tmp/out.img" -C "$res" || die "no results on the output disk"
cat "$res/layouts.txt" >&2
grep -qx ok "$res/status" 2>/dev/null || die "the guest did not finish: $(cat "$res/status" 2>/dev/null)"
[ -s "$res/active/capture.tar.gz" ] || die "no capture"

refs="lsblk.json blkid.txt dmsetup-info.txt dmsetup-table.txt df.txt lvs.json vgs.json pvs.json"
# keep NAME DIR: the capture as testdata/hosts/NAME.tar.gz, the reference values in
# testdata/hosts/NAME.reference/.
keep() {
	local name=$1 dir=$res/$2 f
	install -m 0644 "$dir/capture.tar.gz" "$hosts/$name.tar.gz"
	rm -rf "$hosts/$name.reference"
	mkdir -p "$hosts/$name.reference"
	for f in $refs; do
		install -m 0644 "$dir/$f" "$hosts/$name.reference/$f"
	done
	say "$name: capture $(stat -c %s "$hosts/$name.tar.gz") bytes, capture stderr: $(tr '\n' ' ' <"$dir/capture.stderr")"
	# The replayed capture must say what the agent saw live.
	"$tmp/sms-agent" discover --from "$hosts/$name.tar.gz" --json >"$tmp/$name.replay.json" 2>/dev/null || true
	if cmp -s "$tmp/$name.replay.json" "$dir/live.json"; then
		say "$name: replay of the capture = live inventory"
	else
		say "$name: WARNING: replay of the capture differs from the live inventory:"
		diff "$dir/live.json" "$tmp/$name.replay.json" | head -40 >&2 || true
	fi
}
keep vm-lvm-active active
rm -rf "$hosts/vm-lvm-nested.tar.gz" "$hosts/vm-lvm-nested.reference"
if [ -s "$res/nested/capture.tar.gz" ]; then
	keep vm-lvm-nested nested
fi

{
	echo "# e2e/vm/record.sh, $(date -u +%Y-%m-%d)"
	echo "kernel package: $kpkg $kdeb_version"
	echo "qemu: $(qemu-system-x86_64 --version | head -1), accel $ACCEL, ${vm_secs}s in the VM, $(lap) in all"
	cat "$res/versions.txt"
	echo "layouts:"
	sed 's/^/  /' "$res/layouts.txt"
} >"$here/recorded-with.txt"
say "done in $(lap); now run: go test ./agent/inventory -run 'TestGoldenInventories/vm-lvm' -update && go test ./agent/inventory -run VMLVM"
