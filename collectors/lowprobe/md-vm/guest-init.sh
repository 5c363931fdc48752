#!/bb/sh
# collectors/lowprobe/md-vm/guest-init.sh: /init of the VM record.sh boots. Builds md
# arrays with each superblock version on the four 100 MiB disks, stops them, has the
# lowprobe test binary compare every member and disk with blkid and write md.probe,
# then writes /out as a tar stream onto the output disk (vde) and powers off.
export PATH=/usr/sbin:/usr/bin:/bb
export LC_ALL=C MDADM_NO_UDEV=1 MDADM_NO_SYSTEMCTL=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mount -t tmpfs out /out

finish() {
	cd /out && tar -cf /dev/vde . && sync
	poweroff -f
}
fail() {
	echo "md-vm: FATAL: $*"
	echo "FATAL: $*" >/out/status
	finish
}
run() {
	echo "+ $*"
	"$@" || fail "$* (exit $?)"
}
for m in virtio_pci virtio_blk md_mod raid1; do run modprobe "$m"; done
i=0
while [ ! -b /dev/vde ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vde ] || fail "no /dev/vde"
cat /etc/versions

create() { # create MD METADATA NAME DEVICES...
	md=$1 meta=$2 name=$3
	shift 3
	echo "+ mdadm --create $md --metadata=$meta --name=$name $*"
	yes | mdadm --create "$md" --run --metadata="$meta" --level=1 --raid-devices=2 ${name:+--name=$name} "$@" ||
		fail "mdadm --create $md"
}

# vda + vdb: 0.90 on whole disks.
create /dev/md0 0.90 "" /dev/vda /dev/vdb
# vdc, GPT: 1.0 on p1 + p2, 1.1 on p3 (degraded).
printf '%s\n' 'label: gpt' 'label-id: 2A3B4C5D-6E7F-4081-92A3-B4C5D6E7F809' \
	'size=30M, type=A19D880F-05FC-4D3B-A006-743F0F84911E, uuid=11111111-2222-4333-8444-555555555555, name=raid-a' \
	'size=30M, type=A19D880F-05FC-4D3B-A006-743F0F84911E, uuid=21111111-2222-4333-8444-555555555555, name=raid-b' \
	'type=A19D880F-05FC-4D3B-A006-743F0F84911E, uuid=31111111-2222-4333-8444-555555555555, name=raid-c' |
	run sfdisk -q /dev/vdc
create /dev/md1 1.0 one /dev/vdc1 /dev/vdc2
create /dev/md2 1.1 eleven /dev/vdc3 missing
# vdd, MBR: 1.2 on p1 + p2; 0.90 on p3, which ends where the disk ends (so that the
# whole disk's probe finds the superblock and must leave it to the partition).
printf '%s\n' 'label: dos' 'label-id: 0x5eed1e55' 'start=2048, size=30M, type=fd' 'size=30M, type=fd' 'type=fd' |
	run sfdisk -q /dev/vdd
create /dev/md3 1.2 mylabel /dev/vdd1 /dev/vdd2
create /dev/md4 0.90 "" /dev/vdd3 missing
cat /proc/mdstat
for md in /dev/md0 /dev/md1 /dev/md2 /dev/md3 /dev/md4; do run mdadm --stop "$md"; done

note="lowprobe fixture md: made by md-vm/record.sh in a qemu VM with Debian's kernel (md_mod, raid1):"
note="$note|$(head -1 /etc/versions); $(tail -1 /etc/versions)"
note="$note|vda + vdb: mdadm --create --metadata=0.90 --level=1 (whole disks)"
note="$note|vdc: GPT; vdc1 + vdc2: --metadata=1.0 --name=one; vdc3 + missing: --metadata=1.1 --name=eleven"
note="$note|vdd: MBR; vdd1 + vdd2: --metadata=1.2 --name=mylabel; vdd3 (to the disk's end) + missing: --metadata=0.90"
note="$note|the arrays stopped, then TestRecordDevices compared each device with blkid and wrote this"
devs=/dev/vda,/dev/vdb,/dev/vdc,/dev/vdc1,/dev/vdc2,/dev/vdc3,/dev/vdd,/dev/vdd1,/dev/vdd2,/dev/vdd3
run /lowprobe.test -test.run '^TestRecordDevices$' -test.v -record-devices "$devs" -record-out /out/md.probe -record-note "$note"
echo ok >/out/status
finish
