# shellcheck shell=bash
# e2e/volumes/lib.sh: build LVM and btrfs layouts on loop devices, and tear down
# exactly what was built. Source it, call vol_init, and `trap vol_cleanup EXIT`.
#
# Safety: every function works only on loop devices it attached itself (losetup -f
# --show on sparse files in its own work directory), volume groups it named itself
# (prefix smsatest_) and mount points in its work directory. LVM commands run with
# a device filter that accepts only our loop devices, metadata-only (activation=0),
# with backups and archives off.

VOL_WORK=""     # work directory (sparse files, mount points)
VOL_TAG=""      # random suffix shared by every name we create
VOL_LOOPS=()    # loop devices we attached
VOL_MOUNTS=()   # mount points we mounted
VOL_VGS=()      # "vgname|dev dev ..." for every VG we created

vol_init() {
	VOL_WORK=$(mktemp -d /tmp/smsatest.XXXXXX)
	VOL_TAG=$(printf '%04x%04x' "$RANDOM" "$RANDOM")
	export LVM_SUPPRESS_FD_WARNINGS=1
}

# vol_lvmcfg DEV...: an lvm --config value that sees only DEV... and never activates.
vol_lvmcfg() {
	local f="" d
	for d in "$@"; do f+="\"a|^${d}\$|\", "; done
	printf 'global{activation=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0 filter=[ %s"r|.*|" ]}' "$f"
}

# vol_lvm DEVS -- lvm-args...: run lvm restricted to DEVS (a space-separated list).
vol_lvm() {
	local devs=$1
	shift
	# shellcheck disable=SC2086
	lvm "$@" --config "$(vol_lvmcfg $devs)"
}

# vol_loop SIZE: attach a new sparse file of SIZE (truncate syntax) to a free loop
# device and set VOL_LAST to it. (Not meant for $(...): the device must be remembered
# in this shell for vol_cleanup.)
VOL_LAST=""
vol_loop() {
	local img
	img=$(mktemp "$VOL_WORK/disk.XXXXXX.img")
	truncate -s "$1" "$img"
	VOL_LAST=$(losetup -f --show "$img")
	VOL_LOOPS+=("$VOL_LAST")
}

# vol_partition DEV: one GPT partition (1 MiB .. 201 MiB, type Linux LVM) on DEV; the
# kernel here does not scan loop partitions by itself, so partx adds it. Prints it.
vol_partition() {
	local dev=$1
	printf 'label: gpt\nstart=2048, size=409600, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=smsatest\n' |
		sfdisk -q --no-reread "$dev" >/dev/null 2>&1 || true
	partx -a "$dev" 2>/dev/null || partx -u "$dev"
	[ -b "${dev}p1" ] || { echo "vol_partition: ${dev}p1 did not appear" >&2; return 1; }
	echo "${dev}p1"
}

# vol_vg NAME DEV...: pvcreate and vgcreate, metadata only.
vol_vg() {
	local name=$1
	shift
	vol_lvm "$*" pvcreate -q -y "$@" >/dev/null
	VOL_VGS+=("$name|$*")
	vol_lvm "$*" vgcreate -q "$name" "$@" >/dev/null
}

# vol_lv DEVS lvcreate-args...: an LV created metadata-only (never activated); the
# arguments name the VG (and optionally PVs) as for lvcreate.
vol_lv() {
	local devs=$1
	shift
	vol_lvm "$devs" lvcreate -q -y -an "$@" >/dev/null
}

# vol_mount DEV DIR [mount options]: mount and remember it.
vol_mount() {
	mkdir -p "$2"
	if [ -n "${3:-}" ]; then mount -o "$3" "$1" "$2"; else mount "$1" "$2"; fi
	VOL_MOUNTS+=("$2")
}

vol_cleanup() {
	set +e
	local i m entry name devs d
	for ((i = ${#VOL_MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${VOL_MOUNTS[i]}
		mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
	done
	for ((i = ${#VOL_VGS[@]} - 1; i >= 0; i--)); do
		entry=${VOL_VGS[i]}
		name=${entry%%|*}
		devs=${entry#*|}
		vol_lvm "$devs" vgremove -q -f "$name" >/dev/null 2>&1
		# shellcheck disable=SC2086
		vol_lvm "$devs" pvremove -q -y -ff $devs >/dev/null 2>&1
	done
	for ((i = ${#VOL_LOOPS[@]} - 1; i >= 0; i--)); do
		d=${VOL_LOOPS[i]}
		partx -d "$d" >/dev/null 2>&1
		losetup -d "$d"
	done
	[ -n "$VOL_WORK" ] && [ -d "$VOL_WORK" ] && rm -rf --one-file-system "$VOL_WORK"
	VOL_MOUNTS=() VOL_VGS=() VOL_LOOPS=()
}

# vol_record DIR ENV argv...: run argv the way platform.ExecRunner does (empty
# environment plus PATH, LC_ALL=C and ENV, a space-separated list of KEY=VALUE or "-")
# and keep argv (one element a line), stdout, stderr and exit_code in DIR.
vol_record() {
	local dir=$1 env=$2
	shift 2
	[ "$env" = "-" ] && env=""
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/argv"
	local rc=0
	# shellcheck disable=SC2086
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C $env "$@" \
		>"$dir/stdout" 2>"$dir/stderr" || rc=$?
	echo "$rc" >"$dir/exit_code"
}

# vol_copy_sysfs_btrfs DEST UUID...: copy /sys/fs/btrfs/features and /sys/fs/btrfs/UUID
# (readable files, directories, symlinks as symlinks) under DEST, plus the size and dev
# files of the block devices the devices/ symlinks point at, so the links resolve.
vol_copy_sysfs_btrfs() {
	local dest=$1 u p rel t
	shift
	for u in features "$@"; do
		while IFS= read -r p; do
			rel=${p#/}
			if [ -L "$p" ]; then
				mkdir -p "$dest/$(dirname "$rel")"
				ln -sfn "$(readlink "$p")" "$dest/$rel"
				if [ "$(basename "$(dirname "$p")")" = devices ]; then
					t=$(readlink -f "$p")
					mkdir -p "$dest${t}"
					cat "$t/size" >"$dest$t/size"
					cat "$t/dev" >"$dest$t/dev"
				fi
			elif [ -d "$p" ]; then
				mkdir -p "$dest/$rel"
			elif [ -f "$p" ] && [ "$(stat -c %A "$p" | cut -c2)" = r ]; then
				cat "$p" >"$dest/$rel" 2>/dev/null || rm -f "$dest/$rel"
			fi
		done < <(find "/sys/fs/btrfs/$u" \( -type f -o -type d -o -type l \) | sort)
	done
}
