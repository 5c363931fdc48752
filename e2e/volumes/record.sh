#!/usr/bin/env bash
# e2e/volumes/record.sh: build LVM and btrfs layouts on loop devices and record the
# exact commands collectors/lvm and collectors/btrfs run, plus the /sys/fs/btrfs files
# collectors/btrfs reads, into their testdata/. Everything built is removed on exit.
#
# Needs root, lvm2, btrfs-progs, util-linux (losetup, sfdisk, partx), loop and btrfs
# support in the kernel. Does not need device-mapper: LVs are created metadata-only and
# the LV types lvcreate cannot make without device-mapper (thin, raid1, mirror, cache,
# snapshot) are written with vgcfgrestore from metadata text (see types_lvs below).
#
# Usage: e2e/volumes/record.sh [REPO_ROOT]    (MEASURE=1 also times lvm commands)
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$(cd "$here/../.." && pwd)}
lvm_out=$root/collectors/lvm/testdata
btrfs_out=$root/collectors/btrfs/testdata
# shellcheck source=lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || { echo "record.sh: needs root" >&2; exit 1; }
trap vol_cleanup EXIT
vol_init
trap 'exit 130' INT TERM

# The argv collectors/lvm.FullReportArgv returns; keep the two in step.
FULLREPORT=(lvm fullreport -a --reportformat json --units b --nosuffix --config 'backup{backup=0 archive=0}')

# record_lvm CASE: run fullreport and check that it reports no VG but ours.
record_lvm() {
	local dir=$lvm_out/$1
	rm -rf "$dir"
	vol_record "$dir" LVM_SUPPRESS_FD_WARNINGS=1 "${FULLREPORT[@]}"
	if grep -o '"vg_name":"[^"]*"' "$dir/stdout" | grep -v "\"smsatest_$VOL_TAG" >/dev/null; then
		echo "record.sh: $1: the report holds a VG we did not create; not recording it" >&2
		rm -rf "$dir"
		return 1
	fi
	echo "recorded $dir ($(wc -c <"$dir/stdout") bytes, exit $(cat "$dir/exit_code"))"
}

# lvid: a random LVM UUID (6-4-4-4-4-4-6).
lvid() {
	local s
	s=$(head -c 256 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')
	echo "${s:0:6}-${s:6:4}-${s:10:4}-${s:14:4}-${s:18:4}-${s:22:4}-${s:26:6}"
}

# linear NAME STATUS PV START COUNT: an LV section with one linear segment.
linear() {
	cat <<EOF
		$1 {
			id = "$(lvid)"
			status = [$2]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = $5
				type = "striped"
				stripe_count = 1
				stripes = ["$3", $4]
			}
		}
EOF
}

# types_lvs: logical_volumes of the "types" VG (two PVs of 63 extents of 4 MiB): a thin
# pool with a thin LV and a thin snapshot, an old-style snapshot of a linear LV, a raid1,
# a mirror and a cached LV, with their hidden sub-LVs.
types_lvs() {
	local V='"READ", "WRITE", "VISIBLE"' H='"READ", "WRITE"'
	echo "	logical_volumes {"
	cat <<EOF
		pool {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 10
				type = "thin-pool"
				metadata = "pool_tmeta"
				pool = "pool_tdata"
				transaction_id = 2
				chunk_size = 128
				discards = "passdown"
				zero_new_blocks = 1
			}
		}
		thin1 {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 25
				type = "thin"
				thin_pool = "pool"
				transaction_id = 0
				device_id = 1
			}
		}
		thin1_snap {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 25
				type = "thin"
				thin_pool = "pool"
				transaction_id = 1
				origin = "thin1"
				device_id = 2
			}
		}
		r1 {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 5
				type = "raid1"
				device_count = 2
				region_size = 1024
				raids = ["r1_rmeta_0", "r1_rimage_0", "r1_rmeta_1", "r1_rimage_1"]
			}
		}
		mir {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 5
				type = "mirror"
				mirror_count = 2
				mirror_log = "mir_mlog"
				region_size = 1024
				mirrors = ["mir_mimage_0", 0, "mir_mimage_1", 0]
			}
		}
		snapshot0 {
			id = "$(lvid)"
			status = ["READ"]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 10
				type = "snapshot"
				chunk_size = 8
				origin = "lin"
				cow_store = "lin_snap"
			}
		}
		cached {
			id = "$(lvid)"
			status = [$V]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 10
				type = "cache"
				cache_pool = "cpool"
				origin = "cached_corig"
			}
		}
		cpool {
			id = "$(lvid)"
			status = [$H]
			flags = []
			segment_count = 1
			segment1 {
				start_extent = 0
				extent_count = 3
				type = "cache-pool"
				data = "cpool_cdata"
				metadata = "cpool_cmeta"
				metadata_format = 2
				chunk_size = 128
				cache_mode = "writethrough"
				policy = "smq"
			}
		}
EOF
	linear pool_tdata "$H" pv0 0 10
	linear pool_tmeta "$H" pv0 10 1
	linear lvol0_pmspare "$H" pv0 11 1
	linear r1_rmeta_0 "$H" pv0 12 1
	linear r1_rimage_0 "$H" pv0 13 5
	linear r1_rmeta_1 "$H" pv1 0 1
	linear r1_rimage_1 "$H" pv1 1 5
	linear mir_mimage_0 "$H" pv0 18 5
	linear mir_mimage_1 "$H" pv1 6 5
	linear mir_mlog "$H" pv0 23 1
	linear lin "$V" pv0 24 10
	linear lin_snap "$V" pv0 34 2
	linear cached_corig "$H" pv0 36 10
	linear cpool_cdata "$H" pv0 46 3
	linear cpool_cmeta "$H" pv0 49 1
	echo "	}"
}

lvm_layouts() {
	local vg=smsatest_${VOL_TAG} vgt=smsatest_${VOL_TAG}_types vgd=smsatest_${VOL_TAG}_dup
	local a b bp1 c d e f g

	record_lvm empty || true # no PV of ours yet: whatever else the host has must be no VG

	# basic: a VG on a whole loop device and a GPT partition; linear, striped, a linear
	# LV in two segments spanning both PVs, a cache pool (hidden _cdata/_cmeta/pmspare);
	# one orphan PV.
	vol_loop 256M; a=$VOL_LAST
	vol_loop 256M; b=$VOL_LAST
	bp1=$(vol_partition "$b")
	vol_vg "$vg" "$a" "$bp1"
	vol_lv "$a $bp1" -Zn -n root -L 40m "$vg" "$a"
	vol_lv "$a $bp1" -Zn -n striped -i 2 -I 64k -L 32m "$vg"
	vol_lv "$a $bp1" -Zn -n span -L 100m "$vg" "$a"
	vol_lvm "$a $bp1" lvextend -q -L +60m "$vg/span" "$bp1" >/dev/null
	vol_lv "$a $bp1" --type cache-pool -n cpool -L 12m "$vg" "$a"
	vol_lv "$a $bp1" -Zn -n with-dash -L 4m "$vg"
	vol_loop 64M; e=$VOL_LAST
	vol_lvm "$e" pvcreate -q -y "$e" >/dev/null
	VOL_VGS+=("smsatest_${VOL_TAG}_orphan|$e")
	record_lvm basic

	# types: thin, raid1, mirror, cache, snapshot written through vgcfgrestore.
	vol_loop 256M; c=$VOL_LAST
	vol_loop 256M; d=$VOL_LAST
	vol_vg "$vgt" "$c" "$d"
	vol_lvm "$c $d" vgcfgbackup -q -f "$VOL_WORK/types.vg" "$vgt" >/dev/null
	{
		sed '$d' "$VOL_WORK/types.vg" # drop the VG's closing brace
		types_lvs
		echo "}"
	} >"$VOL_WORK/types-new.vg"
	vol_lvm "$c $d" vgcfgrestore -q --force -y -f "$VOL_WORK/types-new.vg" "$vgt" >/dev/null
	record_lvm types

	# dupvg: two VGs with the same name on different devices (each made while the
	# other's device was filtered out).
	vol_loop 64M; f=$VOL_LAST
	vol_loop 64M; g=$VOL_LAST
	vol_vg "$vgd" "$f"
	vol_lv "$f" -Zn -n one -L 8m "$vgd"
	vol_vg "$vgd" "$g"
	vol_lv "$g" -Zn -n two -L 12m "$vgd"
	record_lvm dupvg

	if [ "${MEASURE:-0}" = 1 ] && command -v hyperfine >/dev/null; then
		hyperfine -N -w 3 -r 30 --export-markdown "$VOL_WORK/measure.md" \
			-n fullreport "lvm fullreport -a --reportformat json --units b --nosuffix" \
			-n pvs+vgs+lvs "sh -c 'pvs --reportformat json --units b --nosuffix -a >/dev/null 2>&1; vgs --reportformat json --units b --nosuffix >/dev/null 2>&1; lvs -a --reportformat json --units b --nosuffix >/dev/null 2>&1'" \
			>/dev/null 2>&1 || true
		cat "$VOL_WORK/measure.md" >&2 || true
	fi
}

# record_btrfs CASE MNT: the two commands collectors/btrfs.ReadMounted may run (get-default: when its tree search fails).
record_btrfs() {
	local dir=$btrfs_out/$1
	rm -rf "$dir"
	vol_record "$dir/subvolume-list" - btrfs subvolume list -a -puq "$2"
	vol_record "$dir/get-default" - btrfs subvolume get-default "$2"
	echo "recorded $dir"
}

btrfs_layouts() {
	local s r1 r2 m u1 u2 stage
	# single: one device; subvolumes root, home, home/nested, data; a read-only snapshot
	# of root under the plain directory snapshots/, a writable snapshot of home; default
	# subvolume changed to root; also mounted a second time with subvol=home.
	vol_loop 512M; s=$VOL_LAST
	mkfs.btrfs -q -f -L smsatest_single "$s" >/dev/null
	m=$VOL_WORK/single
	vol_mount "$s" "$m"
	btrfs -q subvolume create "$m/root"
	btrfs -q subvolume create "$m/home"
	btrfs -q subvolume create "$m/home/nested"
	btrfs -q subvolume create "$m/data"
	mkdir "$m/snapshots"
	dd if=/dev/urandom of="$m/root/file" bs=1M count=24 status=none
	dd if=/dev/urandom of="$m/home/nested/file" bs=1M count=8 status=none
	btrfs -q subvolume snapshot -r "$m/root" "$m/snapshots/root-ro"
	btrfs -q subvolume snapshot "$m/home" "$m/home-snap"
	btrfs -q subvolume set-default "$m/root"
	sync
	btrfs filesystem sync "$m" >/dev/null
	vol_mount "$s" "$VOL_WORK/single-home" subvol=home
	u1=$(blkid -s UUID -o value "$s")

	# raid1: two devices, data and metadata raid1.
	vol_loop 512M; r1=$VOL_LAST
	vol_loop 512M; r2=$VOL_LAST
	mkfs.btrfs -q -f -L smsatest_raid1 -d raid1 -m raid1 "$r1" "$r2" >/dev/null
	vol_mount "$r1" "$VOL_WORK/raid1"
	btrfs -q subvolume create "$VOL_WORK/raid1/vol"
	dd if=/dev/urandom of="$VOL_WORK/raid1/vol/file" bs=1M count=40 status=none
	sync
	btrfs filesystem sync "$VOL_WORK/raid1" >/dev/null
	u2=$(blkid -s UUID -o value "$r1")

	record_btrfs single "$m"
	record_btrfs single-subvol-mount "$VOL_WORK/single-home"
	record_btrfs raid1 "$VOL_WORK/raid1"

	stage=$VOL_WORK/sysfs-stage
	mkdir -p "$stage"
	vol_copy_sysfs_btrfs "$stage" "$u1" "$u2"
	tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$btrfs_out/sysfs-loop.tar.gz" sys
	printf '%s\n' "single $u1 $s" "raid1 $u2 $r1 $r2" >"$btrfs_out/sysfs-loop.txt"
	echo "recorded $btrfs_out/sysfs-loop.tar.gz"
}

mkdir -p "$lvm_out" "$btrfs_out"
case "${ONLY:-all}" in
lvm) lvm_layouts ;;
btrfs) btrfs_layouts ;;
*) lvm_layouts; btrfs_layouts ;;
esac
{ lvm version | head -1; btrfs --version; uname -r; } >"$root/e2e/volumes/recorded-with.txt"
