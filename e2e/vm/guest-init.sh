#!/bb/sh
# e2e/vm/guest-init.sh: /init of the throwaway VM that record.sh boots. Runs in two stages:
#
#   init   (PID 1, on the initramfs): mounts /proc, /sys, /dev, loads the modules, partitions
#          vda, makes VG smsvg0 and its LV "root", copies the initramfs' userspace onto it
#          and runs stage "build" chrooted into it, so that "/" is an LV as on a real host;
#          then writes /newroot/out as a tar stream onto the output disk and powers off.
#   build  (chrooted on smsvg0/root): builds the other layouts, mounts them, runs
#          `sms-agent capture` and the reference tools; then the nested-LVM layout and a
#          second capture.
#
# Every disk is a sparse file of record.sh's temp dir; nothing here can reach the host.
# A layout that fails is left out and named in /out/layouts.txt; record.sh reports it.
# busybox sh runs its own applets (df, stat, mount...) before looking at PATH: tools whose
# real version matters are called by full path.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bb
export LC_ALL=C LVM_SUPPRESS_FD_WARNINGS=1
stage=${1:-init}
RESULTS=/out # where the results are collected: /newroot/out as seen from stage init
[ "$stage" = init ] && RESULTS=/newroot/out

log() { echo "smsvm: $*"; }
# run CMD...: echo and run; a failure is logged and returned.
run() {
	echo "+ $*"
	"$@"
	rc=$?
	[ $rc = 0 ] || echo "smsvm: FAILED (exit $rc): $*"
	return $rc
}
die() {
	log "FATAL: $*"
	echo "FATAL: $*" >>"$RESULTS/status" 2>/dev/null
	if [ "$stage" = init ]; then
		finish
	fi
	exit 1
}
# fill DIR NAME MIB: a file of MIB MiB of zeros (allocated, not sparse).
fill() { run dd if=/dev/zero of="$1/$2" bs=1M count="$3" 2>/dev/null && sync; }

# layout NAME FUNC: build an optional layout; record whether it worked.
layout() {
	log "layout $1"
	if "$2"; then
		echo "$1 ok" >>/out/layouts.txt
	else
		echo "$1 FAILED" >>/out/layouts.txt
		log "layout $1 FAILED; left out"
	fi
}

# wait_sync LV FIELD: wait (at most 10 min) for a raid/mirror LV to finish its initial sync.
wait_sync() {
	i=0
	while [ $i -lt 600 ]; do
		p=$(lvm lvs --noheadings -o "$2" "$1" 2>/dev/null | tr -d ' ')
		case $p in 100.00 | 100) log "$1 in sync after ${i}s"; return 0 ;; esac
		sleep 1
		i=$((i + 1))
	done
	log "$1 not in sync after ${i}s ($2=$p); going on"
}

# ---------------------------------------------------------------- stage init
finish() {
	# The results travel to the host as a tar stream on the output disk.
	log "writing results to $OUT"
	tar -cf - -C /newroot/out . | dd of="$OUT" bs=64k conv=fsync 2>/dev/null
	sync
	log "done; powering off"
	poweroff -f
	sleep 30
}

stage_init() {
	/bb/busybox --install -s /bb
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs tmpfs /run
	mount -t tmpfs tmpfs /tmp
	mkdir -p /run/lock/lvm /run/lvm /run/cryptsetup
	exec </dev/console >/dev/console 2>&1
	hostname smsvm
	log "kernel $(uname -r), $(nproc) CPUs"
	# The list is in load order; busybox modprobe resolves what the kernel asks for later
	# (dm-raid asks for md personalities) from modules.dep.
	for m in $(cat /etc/vm-modules); do
		modprobe "$m" || log "modprobe $m failed"
	done
	# Disks by serial: vda/vdb/vdc are the layout disks, the one with serial smsvm-out
	# carries the results back.
	OUT=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in /sys/block/vd*; do
			[ -e "$d/serial" ] || continue
			case $(cat "$d/serial") in smsvm-out) OUT=/dev/${d##*/} ;; esac
		done
		[ -n "$OUT" ] && [ -b /dev/vdc ] && break
		sleep 1
	done
	[ -n "$OUT" ] || { log "FATAL: no output disk"; poweroff -f; }
	for d in vda:smsvm-a vdb:smsvm-b vdc:smsvm-c; do
		[ "$(cat /sys/block/${d%%:*}/serial 2>/dev/null)" = "${d#*:}" ] || { log "FATAL: /dev/${d%%:*} is not ${d#*:}"; poweroff -f; }
	done
	mkdir -p /newroot
	mount -t tmpfs tmpfs /newroot # only until the root LV is mounted over it: /out for die()
	mkdir -p /newroot/out

	log "vda: GPT, 1: /boot (ext4), 2: LVM PV; vdb: whole-disk PV; VG smsvg0 = vda2 + vdb"
	printf 'label: gpt\nsize=256MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="boot"\ntype=E6D6D379-F507-44C2-A23C-238F2A3DF928, name="smsvg0-pv"\n' |
		run sfdisk -q /dev/vda || die "sfdisk vda"
	i=0
	while [ ! -b /dev/vda2 ] && [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done
	run mkfs.ext4 -q -L boot /dev/vda1 || die "mkfs boot"
	run lvm pvcreate -q -y /dev/vda2 /dev/vdb || die "pvcreate"
	run lvm vgcreate -q smsvg0 /dev/vda2 /dev/vdb || die "vgcreate smsvg0"
	# root: the first 128 extents of vda2 (the span LV below takes the next ones).
	run lvm lvcreate -q -y -n root -l 128 smsvg0 /dev/vda2:0-127 || die "lvcreate root"
	run mkfs.ext4 -q -L root /dev/mapper/smsvg0-root || die "mkfs root"
	umount /newroot
	run mount -t ext4 /dev/mapper/smsvg0-root /newroot || die "mount root"
	log "copying the userspace onto smsvg0/root"
	(cd / && cp -a bb bin sbin lib lib64 usr etc init /newroot/) || die "copy userspace"
	mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp /newroot/out /newroot/boot /newroot/mnt /newroot/root /newroot/var/lib
	mount -t proc proc /newroot/proc
	mount -t sysfs sysfs /newroot/sys
	mount -t devtmpfs devtmpfs /newroot/dev
	mount -t tmpfs tmpfs /newroot/run
	mount -t tmpfs tmpfs /newroot/tmp
	mount -t tmpfs tmpfs /newroot/out # results live outside the captured filesystems
	: >/newroot/out/layouts.txt
	echo "linear-root ok" >>/newroot/out/layouts.txt
	log "chroot into smsvg0/root for the build stage"
	chroot /newroot /init build || echo "FATAL: build stage exited $?" >>/newroot/out/status
	finish
}

# ---------------------------------------------------------------- stage build
mk_span() {
	# 96 extents on each PV: one LV that spans both disks.
	run lvm lvcreate -q -y -n span -l 192 smsvg0 /dev/vda2:128-223 /dev/vdb:0-95 &&
		run mkfs.xfs -q -L span /dev/smsvg0/span &&
		mkdir -p /mnt/span && run mount -t xfs /dev/smsvg0/span /mnt/span &&
		fill /mnt/span data-37MiB 37
}
mk_offline() {
	run lvm lvcreate -q -y -n offline -L 128M smsvg0 /dev/vda2 &&
		run mkfs.ext4 -q -L offline /dev/smsvg0/offline &&
		run lvm lvchange -q -an smsvg0/offline
}
mk_rootsnap() {
	run lvm lvcreate -q -y -s -n rootsnap -L 64M smsvg0/root
}
mk_thin() {
	run lvm lvcreate -q -y --type thin-pool -n pool -L 256M smsvg0 /dev/vdb &&
		run lvm lvcreate -q -y -n thin1 -V 1G --thinpool smsvg0/pool &&
		run lvm lvcreate -q -y -n thin2 -V 512M --thinpool smsvg0/pool &&
		run mkfs.ext4 -q -L thin1 /dev/smsvg0/thin1 &&
		run mkfs.ext4 -q -L thin2 /dev/smsvg0/thin2 &&
		mkdir -p /mnt/thin1 && run mount -t ext4 /dev/mapper/smsvg0-thin1 /mnt/thin1 &&
		fill /mnt/thin1 data-5MiB 5 &&
		run lvm lvcreate -q -y -s -n thin1snap smsvg0/thin1 # a thin snapshot: not activated (-k)
}
mk_raid1() {
	run lvm lvcreate -q -y --type raid1 -m1 -n r1 -L 128M smsvg0 /dev/vda2 /dev/vdb &&
		wait_sync smsvg0/r1 sync_percent &&
		run mkfs.ext4 -q -L r1 /dev/smsvg0/r1 &&
		mkdir -p /mnt/raid1 && run mount -t ext4 /dev/smsvg0/r1 /mnt/raid1 &&
		fill /mnt/raid1 data-3MiB 3
}
mk_mirror() {
	run lvm lvcreate -q -y --type mirror -m1 --mirrorlog core -n mir -L 128M smsvg0 /dev/vda2 /dev/vdb &&
		wait_sync smsvg0/mir copy_percent &&
		run mkfs.ext4 -q -L mir /dev/smsvg0/mir &&
		mkdir -p /mnt/mirror && run mount -t ext4 /dev/smsvg0/mir /mnt/mirror &&
		fill /mnt/mirror data-2MiB 2
}
mk_cache() {
	run lvm lvcreate -q -y -n cached -L 256M smsvg0 /dev/vda2 &&
		run lvm lvcreate -q -y --type cache-pool -n cpool -L 64M smsvg0 /dev/vdb &&
		run lvm lvconvert -q -y --type cache --cachepool smsvg0/cpool smsvg0/cached &&
		run mkfs.ext4 -q -L cached /dev/smsvg0/cached &&
		mkdir -p /mnt/cached && run mount -t ext4 /dev/smsvg0/cached /mnt/cached &&
		fill /mnt/cached data-7MiB 7
}
mk_luks() {
	# vdc: GPT, one partition holding LUKS2; inside it a PV of VG smsvg1 with one LV.
	printf 'throwaway passphrase of a throwaway VM' >/run/luks.key
	printf 'label: gpt\ntype=CA7D7CCB-63ED-4C53-861C-1742536059CC, name="secure"\n' | run sfdisk -q /dev/vdc &&
		{
			i=0
			while [ ! -b /dev/vdc1 ] && [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done
			true
		} &&
		run cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file /run/luks.key /dev/vdc1 &&
		run cryptsetup open --key-file /run/luks.key /dev/vdc1 smsluks &&
		run lvm pvcreate -q -y /dev/mapper/smsluks &&
		run lvm vgcreate -q smsvg1 /dev/mapper/smsluks &&
		run lvm lvcreate -q -y -n data -L 256M smsvg1 &&
		run mkfs.ext4 -q -L secure /dev/smsvg1/data &&
		mkdir -p /mnt/secure && run mount -t ext4 /dev/mapper/smsvg1-data /mnt/secure &&
		fill /mnt/secure data-1MiB 1
}
mk_nested() {
	# A VG inside an LV, as VM images do: lvm sees it only with devices/scan_lvs=1.
	run lvm lvcreate -q -y -n nestpv -L 128M smsvg0 /dev/vda2 &&
		run sed -i 's/scan_lvs = 0/scan_lvs = 1/' /etc/lvm/lvm.conf &&
		run lvm pvcreate -q -y /dev/smsvg0/nestpv &&
		run lvm vgcreate -q smsnest /dev/smsvg0/nestpv &&
		run lvm lvcreate -q -y -n inner -L 64M smsnest &&
		run mkfs.ext4 -q -L inner /dev/smsnest/inner &&
		mkdir -p /mnt/nested && run mount -t ext4 /dev/smsnest/inner /mnt/nested &&
		fill /mnt/nested data-1MiB 1
}

# record DIR: the capture and the reference values of independent tools, into /out/DIR.
record() {
	d=/out/$1
	mkdir -p "$d"
	sync
	sleep 2
	log "capture $1"
	echo "+ sms-agent capture --out $d/capture.tar.gz"
	sms-agent capture --out "$d/capture.tar.gz" 2>"$d/capture.stderr"
	echo "capture exit $?" >>/out/exit-codes.txt
	sms-agent discover --json >"$d/live.json" 2>"$d/live.stderr"
	echo "discover $1 exit $?" >>/out/exit-codes.txt
	# lsblk reads FSTYPE and UUID from the udev database only, and the VM has none: the
	# identities come from blkid run once per device instead (the agent runs one blkid
	# for all devices).
	lsblk -J -b -l -o NAME,KNAME,MAJ:MIN,SIZE,TYPE,MOUNTPOINT,PKNAME >"$d/lsblk.json"
	for b in $(ls /sys/class/block | sort); do
		blkid -c /dev/null -p -o export "/dev/$b" >/tmp/blkid.out 2>&1
		rc=$?
		[ -s /tmp/blkid.out ] || echo "DEVNAME=/dev/$b"
		cat /tmp/blkid.out
		[ $rc = 0 ] || echo "# blkid exit $rc"
		echo
	done >"$d/blkid.txt"
	dmsetup info -c --noheadings -o name,uuid,major,minor | sort >"$d/dmsetup-info.txt"
	dmsetup table | sort >"$d/dmsetup-table.txt"
	/usr/bin/df -B1 --output=source,fstype,size,used,avail,itotal,target -x tmpfs -x devtmpfs >"$d/df.txt"
	lvm lvs -a --reportformat json --units b --nosuffix \
		-o lv_name,vg_name,lv_uuid,lv_size,lv_attr,segtype,pool_lv,origin,lv_dm_path >"$d/lvs.json"
	lvm vgs --reportformat json --units b --nosuffix \
		-o vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,pv_count,lv_count >"$d/vgs.json"
	lvm pvs --reportformat json --units b --nosuffix \
		-o pv_name,vg_name,pv_size,dev_size,pv_uuid >"$d/pvs.json"
}

stage_build() {
	exec </dev/console >/dev/console 2>&1
	cd /
	run mount -t ext4 /dev/vda1 /boot || die "mount /boot"
	fill /boot data-1MiB 1
	fill /var/lib data-11MiB 11
	layout linear-span mk_span
	layout inactive mk_offline
	layout snapshot mk_rootsnap
	layout thin mk_thin
	layout raid1 mk_raid1
	layout mirror mk_mirror
	layout cache mk_cache
	layout luks mk_luks
	record active
	layout nested mk_nested
	if grep -q '^nested ok' /out/layouts.txt; then
		record nested
	fi
	{
		echo "kernel: $(uname -r) ($(cat /proc/version))"
		lvm version | sed -n '1,2p'
		echo "cryptsetup: $(cryptsetup --version)"
		echo "e2fsprogs: $(/usr/sbin/mke2fs -V 2>&1 | head -1)"
		echo "xfsprogs: $(mkfs.xfs -V)"
		echo "util-linux: $(lsblk --version)"
		echo "coreutils: $(/usr/bin/df --version | head -1)"
		echo "busybox: $(busybox | head -1)"
		echo "agent: $(sms-agent version)"
	} >/out/versions.txt 2>&1
	echo ok >>/out/status
}

case $stage in
init) stage_init ;;
build) stage_build ;;
*) echo "guest-init.sh: unknown stage $stage" >&2; exit 2 ;;
esac
