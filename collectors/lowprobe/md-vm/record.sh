#!/usr/bin/env bash
# collectors/lowprobe/md-vm/record.sh: record testdata/md.probe — Linux software RAID
# members with 0.90, 1.0, 1.1 and 1.2 superblocks, on whole disks and on GPT and MBR
# partitions — by booting Debian's own kernel in a throwaway qemu VM (the development
# machine's kernel has no md driver, so mdadm cannot create arrays there). In the VM,
# mdadm builds the arrays (guest-init.sh), stops them, and the lowprobe test binary
# compares every device with blkid and writes the fixture (TestRecordDevices).
#
# Run as root on Debian (bookworm), from anywhere: collectors/lowprobe/md-vm/record.sh
#   TIMEOUT=900   seconds the VM may run (default 900)
#   KPKG=linux-image-6.1.0-NN-amd64   kernel package (default: what linux-image-amd64 depends on)
#   KEEP=1        keep the temp dir (kernel, initramfs, disks, console log)
#
# Only missing packages are installed; nothing else on the host is touched: the disks
# are sparse files in a private temp dir removed on exit, the VM has no network device.
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=$here/../testdata/md.probe
TIMEOUT=${TIMEOUT:-900}
say() { echo "md-vm: $*" >&2; }
die() {
	say "$*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root"
tmp=$(mktemp -d /tmp/lowprobe-mdvm.XXXXXX)
chmod 0755 "$tmp"
qpid=
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [ -n "${KEEP:-}" ]; then say "KEEP set: left $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need+=(qemu-system-x86)
[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] || need+=(busybox-static)
have mdadm || need+=(mdadm)
have sfdisk || need+=(fdisk)
{ have blkid && have partx; } || need+=(util-linux)
have depmod || need+=(kmod)
have cpio || need+=(cpio)
have go || die "needs go (to build the test binary)"
if ((${#need[@]})); then
	say "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The kernel: Debian's package, unpacked here (never installed).
kpkg=${KPKG:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
[ -n "$kpkg" ] || die "cannot tell the kernel package (apt-cache depends linux-image-amd64; apt-get update?)"
say "downloading $kpkg"
mkdir -p "$tmp/kernel"
(cd "$tmp/kernel" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg")
kx=$tmp/kernel/x
dpkg-deb -x "$tmp"/kernel/*.deb "$kx"
kver=$(ls "$kx/lib/modules")
depmod -b "$kx" "$kver"

# The test binary (static), which compares with blkid and writes the fixture.
(cd "$root" && CGO_ENABLED=0 go test -c -tags e2e -o "$tmp/lowprobe.test" ./collectors/lowprobe)

# The initramfs: busybox applets in /bb; mdadm, blkid, sfdisk, partx with their
# libraries; the modules virtio_pci, virtio_blk, md_mod, raid1 with their dependencies.
ir=$tmp/initrd
mkdir -p "$ir"/usr/{bin,sbin,lib,lib64} "$ir"/{bb,etc,proc,sys,dev,run,tmp,out}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$ir/$d"; done
cp /bin/busybox "$ir/bb/busybox"
for a in $("$ir/bb/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$ir/bb/$a"; done
ln -s /bb/busybox "$ir/usr/sbin/modprobe"
copy_file() {
	mkdir -p "$ir$(dirname "$1")"
	cp -L "$1" "$ir$1"
}
for b in /usr/sbin/mdadm /usr/sbin/blkid /usr/sbin/sfdisk /usr/bin/partx; do
	[ -x "$b" ] || die "no $b"
	copy_file "$b"
	for f in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do [ -e "$ir$f" ] || copy_file "$f"; done
done
install -m 0755 "$tmp/lowprobe.test" "$ir/lowprobe.test"
install -m 0755 "$here/guest-init.sh" "$ir/init"
for m in virtio_pci virtio_blk md_mod raid1; do
	modprobe -d "$kx" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | sort -u | while read -r ko; do
	mkdir -p "$ir$(dirname "${ko#"$kx"}")"
	cp "$ko" "$ir${ko#"$kx"}"
done
cp "$kx/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$ir/lib/modules/$kver/"
depmod -b "$ir" "$kver"
{
	echo "kernel $kpkg $(dpkg-deb -f "$tmp"/kernel/*.deb Version)"
	echo "mdadm $(dpkg-query -W -f='${Version}' mdadm), util-linux $(dpkg-query -W -f='${Version}' util-linux)"
} >"$ir/etc/versions"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/initrd.gz"

# Four 100 MiB layout disks and an output disk, told apart by serial number.
for d in a b c d; do truncate -s 100M "$tmp/vd$d.img"; done
truncate -s 16M "$tmp/out.img"
disk() { echo "-drive if=none,id=$1,file=$tmp/$1.img,format=raw,cache=unsafe -device virtio-blk-pci,drive=$1,serial=lowprobe-$1"; }
say "booting the VM (tcg; console below)"
: >"$tmp/console.log"
# shellcheck disable=SC2046
timeout "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 512 -smp 2 \
	-nographic -no-reboot -nic none \
	-kernel "$kx/boot/vmlinuz-$kver" -initrd "$tmp/initrd.gz" -append 'console=ttyS0 panic=-1 quiet' \
	$(disk vda) $(disk vdb) $(disk vdc) $(disk vdd) $(disk out) </dev/null >>"$tmp/console.log" 2>&1 &
qpid=$!
tail --pid="$qpid" -n +1 -f "$tmp/console.log" | sed -u 's/\r$//' >&2 &
rc=0
wait "$qpid" || rc=$?
qpid=
wait
[ "$rc" = 0 ] || die "qemu exited $rc (124: timed out after ${TIMEOUT}s)"
mkdir -p "$tmp/result"
tar -xf "$tmp/out.img" -C "$tmp/result" || die "no results on the output disk"
grep -qx ok "$tmp/result/status" || die "the guest did not finish: $(cat "$tmp/result/status" 2>/dev/null)"
install -m 0644 "$tmp/result/md.probe" "$out"
say "wrote $out; now: go test ./collectors/lowprobe -run TestFixtures/md"
