#!/usr/bin/env bash
# e2e/vm-systemd/run.sh: the .deb under systemd. Builds a Debian bookworm root
# filesystem with systemd as init (mmdebstrap, into a temp dir), boots it in a throwaway
# qemu guest (TCG) with no network device, and runs guest-test.sh there: install, start,
# systemctl is-active, the JSON lines in the journal, reload, upgrade, Restart=on-failure,
# stop within 5 s, purge; then `sms-agent service install` with the same unit. Writes
# the results to e2e/vm-systemd/result.txt (committed). README.md beside it says more.
#
# Run as root on Debian bookworm: e2e/vm-systemd/run.sh
#   TIMEOUT=1500  seconds the VM may run    ACCEL=tcg   qemu accelerator
#   KEEP=1        keep the temp dir (root image, console log, results)
#   DEB=FILE      test this .deb instead of building one with make package
#   REUSE=DIR     take root.img, vmlinuz and initrd from DIR (a KEEP'd temp dir) instead of
#                 building them (saves the ~15 min of mmdebstrap); the .deb, the fake and
#                 guest-test.sh are written into a copy of the image with debugfs
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TIMEOUT=${TIMEOUT:-1500}
ACCEL=${ACCEL:-tcg}
say() { echo "run.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root"
t0=$(date +%s)
lap() { echo "$(($(date +%s) - t0))s"; }
tmp=$(mktemp -d /tmp/sms-vmsd.XXXXXX)
qpid=
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	# mmdebstrap unmounts what it mounted in the root dir; make sure nothing is left.
	for m in $(findmnt -rn -o TARGET | grep "^$tmp/" | sort -r); do umount -l "$m" || true; done
	if [ -n "${KEEP:-}" ]; then say "KEEP set: left $tmp"; else rm -rf --one-file-system "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
	say "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the package under test and the fake SMS (static, for the guest's loopback)
deb=${DEB:-}
if [ -z "$deb" ]; then
	make -C "$root" package >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log" >&2; die "make package failed"; }
	deb=$(ls -t "$root"/dist/sms-agent_*_amd64.deb | head -1)
fi
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$tmp/sms-fake" ./cmd/sms-fake)
say "package $(basename "$deb") ($(lap))"

# --- the guest's root filesystem: bookworm minbase with systemd, its kernel and initramfs
if [ -n "${REUSE:-}" ]; then
	cp --sparse=always "$REUSE/root.img" "$tmp/root.img"
	cp "$REUSE/vmlinuz" "$REUSE/initrd" "$tmp/"
	for f in sms-agent.deb:"$deb" sms-fake:"$tmp/sms-fake" guest-test.sh:"$here/guest-test.sh"; do
		debugfs -w -R "rm /root/${f%%:*}" "$tmp/root.img" >/dev/null 2>&1 || true
		debugfs -w -R "write ${f#*:} /root/${f%%:*}" "$tmp/root.img" >/dev/null 2>&1
		debugfs -w -R "set_inode_field /root/${f%%:*} mode 0100755" "$tmp/root.img" >/dev/null 2>&1
	done
	kver=$(cat "$REUSE/kver" 2>/dev/null || echo unknown)
	truncate -s 64M "$tmp/out.img"
	say "image reused from $REUSE ($(lap))"
else
	rootfs=$tmp/rootfs
	mmdebstrap --variant=minbase --include=systemd,systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,kmod,procps,logrotate \
		bookworm "$rootfs" >"$tmp/mmdebstrap.log" 2>&1 || { tail -20 "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
	say "root filesystem built ($(lap))"
	vmlinuz=$(ls "$rootfs"/boot/vmlinuz-* | head -1)
	initrd=$(ls "$rootfs"/boot/initrd.img-* | head -1)
	[ -f "$vmlinuz" ] && [ -f "$initrd" ] || die "no kernel or initramfs in the root filesystem"
	echo smsvm-systemd >"$rootfs/etc/hostname"
	printf '/dev/vda / ext4 defaults 0 1\n' >"$rootfs/etc/fstab"
	install -m 0644 "$deb" "$rootfs/root/sms-agent.deb"
	install -m 0755 "$tmp/sms-fake" "$rootfs/root/sms-fake"
	install -m 0755 "$here/guest-test.sh" "$rootfs/root/guest-test.sh"
	cat >"$rootfs/etc/systemd/system/sms-vmtest.service" <<-'UNIT'
	[Unit]
	Description=sms-agent systemd test (e2e/vm-systemd)
	After=basic.target
	[Service]
	Type=simple
	ExecStart=/root/guest-test.sh
	StandardOutput=journal+console
	StandardError=journal+console
	[Install]
	WantedBy=multi-user.target
	UNIT
	ln -s /etc/systemd/system/sms-vmtest.service "$rootfs/etc/systemd/system/multi-user.target.wants/sms-vmtest.service"
	# No getty on the console: it would fight the test's output.
	rm -f "$rootfs/etc/systemd/system/getty.target.wants/"*
	truncate -s 3G "$tmp/root.img"
	mkfs.ext4 -q -L root -d "$rootfs" "$tmp/root.img"
	truncate -s 64M "$tmp/out.img"
	cp "$vmlinuz" "$tmp/vmlinuz"
	cp "$initrd" "$tmp/initrd"
	kver=$(basename "$vmlinuz" | sed 's/^vmlinuz-//')
	rm -rf "$rootfs"
	say "disk image built ($(lap))"
	echo "$kver" >"$tmp/kver"
fi

# --- boot
tvm=$(date +%s)
: >"$tmp/console.log"
timeout "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel "$ACCEL" -cpu max -m 1536 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$tmp/vmlinuz" -initrd "$tmp/initrd" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0 quiet" \
	-drive if=none,id=root,file="$tmp/root.img",format=raw,cache=unsafe -device virtio-blk-pci,drive=root,serial=smsvm-root \
	-drive if=none,id=out,file="$tmp/out.img",format=raw,cache=writethrough -device virtio-blk-pci,drive=out,serial=smsvm-out \
	</dev/null >>"$tmp/console.log" 2>&1 &
qpid=$!
tail --pid="$qpid" -n +1 -f "$tmp/console.log" | sed -u 's/\r$//' | grep --line-buffered 'vmtest:' >&2 &
rc=0
wait "$qpid" || rc=$?
qpid=
wait
vm_secs=$(($(date +%s) - tvm))
[ "$rc" = 0 ] || { tail -30 "$tmp/console.log" >&2; die "qemu exited $rc after ${vm_secs}s (124: timed out)"; }
res=$tmp/result
mkdir -p "$res"
tar -xf "$tmp/out.img" -C "$res" || { tail -30 "$tmp/console.log" >&2; die "no results on the output disk"; }
grep -qx done "$res/status" 2>/dev/null || die "the guest did not finish"

# --- what the hardened service saw against discover outside it
cmp=$(python3 - "$res/inventory-service.json" "$res/inventory-discover.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def strip(inv):
    # usage changes between two reads; compare the layout and the mounts
    for m in inv.get("mounts", []):
        m.pop("usage", None)
    for d in inv.get("disks", []):
        d.pop("usage", None); d.pop("used_size", None)
        for p in d.get("physical_volumes", []):
            p.pop("usage", None); p.pop("used_size", None); p.pop("inode_size", None); p.pop("inode_nums", None)
    return inv
a, b = strip(a), strip(b)
out = []
for k in ("host", "disks", "volume_groups", "btrfs_list"):
    if a.get(k) != b.get(k):
        out.append(f"{k} differs")
ma = {m["mount_point"]: m for m in a.get("mounts", [])}
mb = {m["mount_point"]: m for m in b.get("mounts", [])}
for mp in sorted(set(ma) | set(mb)):
    if mp not in ma: out.append(f"mount {mp}: only outside the service")
    elif mp not in mb: out.append(f"mount {mp}: only in the service")
    elif ma[mp].get("other_mount_points") != mb[mp].get("other_mount_points"):
        out.append(f"mount {mp}: other_mount_points in the service {ma[mp].get('other_mount_points')} vs outside {mb[mp].get('other_mount_points')}")
print("\n".join(out) if out else "identical (usage aside)")
PY
)
{
	echo "# e2e/vm-systemd/run.sh, $(date -u +%Y-%m-%d)"
	echo "package: $(basename "$deb")"
	echo "guest: Debian bookworm minbase (mmdebstrap), kernel $kver, $(sed -n 2p "$res/versions.txt")"
	if [ -n "${REUSE:-}" ]; then echo "image: reused (REUSE) from an earlier run of this script"; else echo "image: built by this run"; fi
	echo "qemu: $(qemu-system-x86_64 --version | head -1), accel $ACCEL, ${vm_secs}s in the VM, $(lap) in all"
	echo "passed $(cat "$res/passed"), failed $(cat "$res/failed")"
	echo
	cat "$res/steps.txt"
	echo
	echo "## the service's inventory against discover outside it"
	echo "$cmp"
	echo
	echo "## systemd-analyze security sms-agent.service (last line)"
	tail -1 "$res/security.txt"
	echo
	echo "## the daemon's first journal lines"
	head -5 "$res/journal-sms-agent.txt" | cut -c1-300
} >"$here/result.txt"
cat "$here/result.txt" >&2
if [ -n "${KEEP:-}" ]; then cp -r "$res" "$tmp/results-kept"; fi
[ "$(cat "$res/failed")" = 0 ] || die "$(cat "$res/failed") check(s) failed"
say "done in $(lap)"
