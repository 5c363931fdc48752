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
# shellcheck source=e2e/vm/lib.sh
. "$root/e2e/vm/lib.sh"
vm_tmp lowprobe-mdvm

need=()
have qemu-system-x86_64 || need+=(qemu-system-x86)
pkg_ok busybox-static || need+=(busybox-static)
have mdadm || need+=(mdadm)
have sfdisk || need+=(fdisk)
{ have blkid && have partx; } || need+=(util-linux)
have depmod || need+=(kmod)
have cpio || need+=(cpio)
have go || die "needs go (to build the test binary)"
vm_install "${need[@]}"

# The kernel: Debian's package, unpacked here (never installed).
vm_kernel

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
for b in /usr/sbin/mdadm /usr/sbin/blkid /usr/sbin/sfdisk /usr/bin/partx; do copy_bin "$b"; done
install -m 0755 "$tmp/lowprobe.test" "$ir/lowprobe.test"
install -m 0755 "$here/guest-init.sh" "$ir/init"
vm_modules virtio_pci virtio_blk md_mod raid1
{
	echo "kernel $kpkg $kdeb_version"
	echo "mdadm $(dpkg-query -W -f='${Version}' mdadm), util-linux $(dpkg-query -W -f='${Version}' util-linux)"
} >"$ir/etc/versions"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/initrd.gz"

# Four 100 MiB layout disks and an output disk, told apart by serial number.
for d in a b c d; do truncate -s 100M "$tmp/vd$d.img"; done
truncate -s 16M "$tmp/out.img"
disk() { echo "-drive if=none,id=$1,file=$tmp/$1.img,format=raw,cache=unsafe -device virtio-blk-pci,drive=$1,serial=lowprobe-$1"; }
say "booting the VM (tcg; console below)"
# shellcheck disable=SC2046
vm_boot "$TIMEOUT" -machine q35 -accel tcg -cpu max -m 512 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$tmp/initrd.gz" -append 'console=ttyS0 panic=-1 quiet' \
	$(disk vda) $(disk vdb) $(disk vdc) $(disk vdd) $(disk out)
mkdir -p "$tmp/result"
tar -xf "$tmp/out.img" -C "$tmp/result" || die "no results on the output disk"
grep -qx ok "$tmp/result/status" || die "the guest did not finish: $(cat "$tmp/result/status" 2>/dev/null)"
install -m 0644 "$tmp/result/md.probe" "$out"
say "wrote $out; now: go test ./collectors/lowprobe -run TestFixtures/md"
