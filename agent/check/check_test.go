package check

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/collectors/boot"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
	"github.com/sms-agent/sms-agent/internal/capturetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.checks")

const hostsDir = "../../testdata/hosts"

// captured is a captured host of testdata/hosts, replayed: its inventory, the host
// facts read from it, and the plan.
type captured struct {
	name  string
	inv   *inventory.Inventory
	facts sms.HostFacts
}

func replayHost(t *testing.T, archive string) captured {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(archive), ".tar.gz")
	var devices []string
	if b, err := os.ReadFile(strings.TrimSuffix(archive, ".tar.gz") + ".devices"); err == nil {
		devices = strings.Split(strings.TrimSpace(string(b)), ",")
	}
	c := capturetest.Open(t, archive)
	h := c.Host(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	inv, err := inventory.Discover(context.Background(), h, inventory.Options{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	var facts sms.HostFacts
	if inv.Host.OSType != sms.OSWindows {
		facts, _ = hostfacts.Reader{FS: h.FS, Run: h.Run, Kernel: inv.Host.KernelVersion}.Read(context.Background())
	}
	return captured{name: name, inv: inv, facts: facts}
}

// TestCaptures runs every check on every captured host and compares the lines with
// testdata/NAME.checks (rewrite with -update, and review the diff). It also asserts the
// property of issue 8: each mounted filesystem (block, FUSE, network) is either in the
// task body SMS receives — read back from the body's JSON, not from the plan — or named
// by a WARN or ERROR line.
func TestCaptures(t *testing.T) {
	for _, a := range capturetest.Hosts(t, hostsDir) {
		h := replayHost(t, a)
		t.Run(h.name, func(t *testing.T) {
			p, err := sms.BuildPlan(h.inv, sms.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rs := Run(Input{Plan: p, Facts: h.facts})
			t.Run("golden", func(t *testing.T) { compareGolden(t, h.name, rs) })
			t.Run("carried or named", func(t *testing.T) { carriedOrNamed(t, h, p, rs) })
		})
	}
}

func compareGolden(t *testing.T, name string, rs []Result) {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%-14s %s\n", r.Check, r)
	}
	golden := filepath.Join("testdata", name+".checks")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./agent/check -update)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("checks of %s (-want +got):\n%s", name, d)
	}
}

func carriedOrNamed(t *testing.T, h captured, p *sms.Plan, rs []Result) {
	ts, err := sms.BuildTargetServer(p, sms.TargetOptions{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := sms.EncodeBody(ts)
	if err != nil {
		t.Fatal(err)
	}
	inBody := bodyMountPoints(t, body)
	named := map[string]bool{}
	for _, r := range rs {
		if r.Level != OK {
			for _, s := range r.Subjects {
				named[s] = true
			}
		}
	}
	n := 0
	for _, m := range h.inv.Mounts {
		if m.Kind != "block" && m.Kind != "fuse" && m.Kind != "network" {
			continue
		}
		n++
		mps := append([]string{m.MountPoint}, m.OtherMountPoints...)
		if !slices.ContainsFunc(mps, func(mp string) bool { return inBody[mp] || named[mp] }) {
			t.Errorf("%s (%s from %s) is neither in the task body nor named by a check", m.MountPoint, m.FileSystem, m.Source)
		}
	}
	if n == 0 {
		t.Errorf("no mounted filesystem: the property was not exercised")
	}
}

// bodyMountPoints collects every mount point a TargetServerByTask's JSON carries:
// physical volumes', logical volumes', btrfs subvolumes' and default subvolumes'.
func bodyMountPoints(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	var ts struct {
		Disks []struct {
			PhysicalVolumes []struct {
				MountPoint string `json:"mount_point"`
			} `json:"physical_volumes"`
		} `json:"disks"`
		VolumeGroups []struct {
			LogicalVolumes []struct {
				MountPoint string `json:"mount_point"`
			} `json:"logical_volumes"`
		} `json:"volume_groups"`
		BtrfsList []struct {
			DefaultSubvolMountpath string `json:"default_subvol_mountpath"`
			Subvolumn              []struct {
				SubvolMountPath string `json:"subvol_mount_path"`
			} `json:"subvolumn"`
		} `json:"btrfs_list"`
	}
	if err := json.Unmarshal(body, &ts); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range ts.Disks {
		for _, pv := range d.PhysicalVolumes {
			out[pv.MountPoint] = true
		}
	}
	for _, vg := range ts.VolumeGroups {
		for _, lv := range vg.LogicalVolumes {
			out[lv.MountPoint] = true
		}
	}
	for _, b := range ts.BtrfsList {
		out[b.DefaultSubvolMountpath] = true
		for _, s := range b.Subvolumn {
			out[s.SubvolMountPath] = true
		}
	}
	delete(out, "")
	return out
}

// healthy is a host every check passes: / and /boot on partitions of vda, /data on an
// LV of a VG on vdb1, an NFS mount, complete host facts.
func healthy() (*inventory.Inventory, sms.HostFacts) {
	use := func(used, free int64) *inventory.Usage {
		return &inventory.Usage{FSSize: used + free, UsedSize: used, FreeSize: free, InodeNums: 1000, BlockSize: 4096, BlockCount: (used + free) / 4096}
	}
	inv := &inventory.Inventory{
		Host: inventory.Host{Hostname: "web-1", OSType: "LINUX", KernelVersion: "6.1.0-57-amd64", Arch: "x86_64", Firmware: "BIOS"},
		Disks: []inventory.Disk{
			{Name: "/dev/vda", KName: "vda", Size: 40 << 30, DeviceUse: "BOOT", PartitionStyle: "MBR", OSDisk: true, PhysicalVolumes: []inventory.Partition{
				{Name: "/dev/vda1", KName: "vda1", Number: 1, Start: 1 << 20, Size: 1 << 30, DeviceUse: "BOOT", MountPoint: "/boot", Identity: inventory.Identity{FileSystem: "ext4"}, Usage: use(100<<20, 800<<20)},
				{Name: "/dev/vda2", KName: "vda2", Number: 2, Index: 1, Start: 1<<30 + 1<<20, Size: 39<<30 - 1<<20, DeviceUse: "OS", MountPoint: "/", Identity: inventory.Identity{FileSystem: "ext4"}, Usage: use(5<<30, 30<<30)},
			}},
			{Name: "/dev/vdb", KName: "vdb", Size: 100 << 30, DeviceUse: "VOLUME_GROUP", PartitionStyle: "GPT", PhysicalVolumes: []inventory.Partition{
				{Name: "/dev/vdb1", KName: "vdb1", Number: 1, Start: 1 << 20, Size: 100<<30 - 2<<20, DeviceUse: "VOLUME_GROUP", Identity: inventory.Identity{FileSystem: "LVM2_member"}},
			}},
		},
		VolumeGroups: []inventory.VolumeGroup{{Name: "vg0", UUID: "vg0-uuid", Size: 100<<30 - 4<<20, FreeSize: 50 << 30, ExtentSize: 4 << 20,
			Components: []string{"/dev/vdb1"}, PVDevices: []string{"/dev/vdb1"}, Disks: []string{"/dev/vdb"},
			LogicalVolumes: []inventory.LogicalVolume{{Name: "data", Path: "/dev/vg0/data", DMName: "vg0-data", Device: "/dev/dm-0", Size: 50 << 30, Migrate: true,
				MountPoint: "/data", Identity: inventory.Identity{FileSystem: "xfs"}, Usage: use(10<<30, 40<<30)}}}},
		Mounts: []inventory.Mount{
			{MountPoint: "/", Device: "/dev/vda2", Source: "/dev/vda2", FileSystem: "ext4", Options: "rw,relatime", Kind: "block", Usage: use(5<<30, 30<<30)},
			{MountPoint: "/boot", Device: "/dev/vda1", Source: "/dev/vda1", FileSystem: "ext4", Options: "rw", Kind: "block", Usage: use(100<<20, 800<<20)},
			{MountPoint: "/data", Device: "/dev/dm-0", Source: "/dev/mapper/vg0-data", FileSystem: "xfs", Options: "rw", Kind: "block", Usage: use(10<<30, 40<<30)},
			{MountPoint: "/tmp", Source: "tmpfs", FileSystem: "tmpfs", Options: "rw,nosuid,nodev", Kind: "virtual"},
		},
	}
	t, f := true, false
	facts := sms.HostFacts{HasRsync: &t, HasTc: &t, BootLoader: "GRUB", Boot: &boot.Facts{
		Images: []string{"initrd.img-6.1.0-57-amd64"}, GrubI386PC: true, XenPV: &f, SELinux: "disabled",
		Virtio: &boot.Virtio{Kernel: "6.1.0-57-amd64", Builtin: []string{}, Image: "initrd.img-6.1.0-57-amd64", InInitramfs: []string{"virtio_blk", "virtio_pci", "virtio_scsi"}}}}
	return inv, facts
}

// TestChecks runs each check on a host that passes it and on variants that fail it.
func TestChecks(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		check string
		edit  func(inv *inventory.Inventory, f *sms.HostFacts, in *Input)
		want  string // the line; "" for no line
	}{
		{"root migrated", "root", nil, "OK / (ext4 on /dev/vda2) is migrated"},
		{"root on an unknown device", "root", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Mounts[0].Device, inv.Mounts[0].Source = "", "/dev/mapper/vg9-root"
		}, "ERROR / is not migrated (ext4 from /dev/mapper/vg9-root, a device that is none of the disks, partitions, LVs or btrfs filesystems found): fix what the warnings name (lvm2 or btrfs-progs missing, a capture without their output), then check again"},
		{"root not in the mount table", "root", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Mounts = inv.Mounts[1:] },
			"WARN / is not in the mount table, so whether it is migrated is unknown: make sure the capture or inventory holds /proc/self/mountinfo"},
		{"boot migrated", "boot-mounts", nil, "OK /boot (ext4 on /dev/vda1) is migrated"},
		{"boot on a disk not migrated", "boot-mounts", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Mounts[1].Device = "/dev/sdz1" },
			"ERROR /boot is not migrated (ext4 on /dev/sdz1, which is not on a disk to migrate): migrate it another way, or give --force to go without it"},
		{"layout supported", "layout", nil, "OK no volume group SMS rejects (duplicate names, nested LVM, PVs on LUKS, md or multipath)"},
		{"VG on LUKS", "layout", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Stacked = []inventory.StackedDevice{{Name: "/dev/dm-9", KName: "dm-9", DMName: "luks-vdb1", Kind: "crypt", Slaves: []string{"/dev/vdb1"}, Disks: []string{"/dev/vdb"}}}
			inv.VolumeGroups[0].PVDevices, inv.VolumeGroups[0].Components = []string{"/dev/dm-9"}, []string{"/dev/mapper/luks-vdb1"}
		}, "ERROR volume group vg0 is left out, and with it /data, as its physical volume /dev/dm-9 is an encrypted (LUKS) device on /dev/vdb (SMS does not migrate encrypted volumes): copy the data onto an unencrypted volume (or decrypt it) first, or give --force to migrate without it"},
		{"mounts all migrated", "mounts", nil, "OK every mounted filesystem is migrated, but for those named above"},
		{"an NFS mount", "mounts", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Mounts = append(inv.Mounts, inventory.Mount{MountPoint: "/mnt/nfs", Source: "nas:/export", FileSystem: "nfs4", Kind: "network"})
		}, "WARN 1 network filesystem is not migrated: /mnt/nfs (nfs4 from nas:/export): SMS does not migrate network filesystems; mount them on the target after the migration"},
		{"an LV excluded", "mounts", func(_ *inventory.Inventory, _ *sms.HostFacts, in *Input) { in.Plan = nil; in.Type = "exclude:vg0/data" },
			"WARN 1 excluded filesystem is not migrated: /data: drop them from --exclude to migrate them"},
		{"a mount from an unknown device", "mounts", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Mounts[2].Device = "" },
			"ERROR /data is not migrated (xfs from /dev/mapper/vg0-data, a device that is none of the disks, partitions, LVs or btrfs filesystems found): fix what the warnings name (lvm2 or btrfs-progs missing, a capture without their output), then check again"},
		{"nothing closed", "unopened", nil, "OK no encrypted volume or RAID member whose content would stay behind"},
		{"a closed LUKS partition", "unopened", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Disks[1].PhysicalVolumes[0].FileSystem = "crypto_LUKS"
			inv.VolumeGroups = nil
		}, "WARN not migrated, and nothing on them mounted: /dev/vdb1 (crypto_LUKS, closed): SMS migrates neither encrypted volumes nor md RAID; copy what they hold onto plain volumes first if it must move"},
		{"2 disks", "disk-count", nil, "OK 2 disks to migrate (at most 23)"},
		{"24 disks", "disk-count", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			for i := 0; i < 22; i++ {
				inv.Disks = append(inv.Disks, inventory.Disk{Name: fmt.Sprintf("/dev/sd%c", 'a'+i), Size: 10 << 30})
			}
		}, "ERROR 24 disks to migrate, more than the 23 a target can have (SMS keeps one of its 24 slots): leave disks out with --exclude"},
		{"system disk 40G", "system-disk", nil, "OK system disk /dev/vda is 40G on the target (at most 1T)"},
		{"system disk 2T", "system-disk", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Disks[0].Size = 2 << 40 },
			"ERROR SMS.6537 system disk /dev/vda is 2T on the target, more than 1T: shrink it (sms-agent plan --shrink shows the sizes), or move data off the disk that holds /"},
		{"system disk 2T, shrunk", "system-disk", func(inv *inventory.Inventory, _ *sms.HostFacts, in *Input) {
			inv.Disks[0].Size, inv.Disks[0].PhysicalVolumes[1].Size = 2<<40, 2<<40-2<<30
			in.Type = "shrink"
		}, "WARN SMS.6537 system disk /dev/vda is 2T, over 1T, which SMS's own check will report; the task asks for 40G"},
		{"disks small enough", "disk-size", nil, "OK every target disk is at most 16T"},
		{"a 17T disk", "disk-size", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Disks[1].Size = 17 << 40 },
			"ERROR disk /dev/vdb is 17T on the target, more than the 16T a Linux target disk can be: shrink it (--shrink) or leave it out (--exclude) and move its data another way"},
		{"VG large enough", "vg-size", nil, "OK every volume group is larger than its logical volumes"},
		{"thin LVs over their VG", "vg-size", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.VolumeGroups[0].LogicalVolumes[0].Size = 200 << 30
		}, "ERROR volume group vg0 is 100G, but its logical volumes add up to 200G (thin volumes are counted at their virtual size): shrink them to what they use (--shrink), or leave some out (--exclude vg/lv)"},
		{"/ has room", "root-free", nil, "OK / has 30G free (at least 200M)"},
		{"/ nearly full", "root-free", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Mounts[0].Usage.FreeSize = 150 << 20 },
			"ERROR / has 150M free: free at least 200M (SMS's agent works there)"},
		{"mounts have room", "mount-free", nil, "OK every migrated mount point has at least 1M free (3 checked)"},
		{"/data full", "mount-free", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Mounts[2].Usage.FreeSize = 512 << 10 },
			"ERROR SMS.1351 /data has 512K free: free at least 1M"},
		{"/data full but read-only", "mount-free", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Mounts[2].Usage.FreeSize, inv.Mounts[2].Options = 0, "ro,relatime"
		}, "OK every migrated mount point has at least 1M free (2 checked)"},
		{"/tmp exec", "tmp-exec", nil, "OK /tmp allows executables"},
		{"/tmp noexec", "tmp-exec", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) {
			inv.Mounts[3].Options = "rw,nosuid,nodev,noexec"
		},
			"ERROR SMS.5102 /tmp is mounted noexec: mount -o remount,exec /tmp for the migration"},
		{"an initramfs", "initramfs", nil, "OK initramfs in /boot: initrd.img-6.1.0-57-amd64"},
		{"no initramfs", "initramfs", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) {
			f.Boot.Images, f.Boot.Virtio.Image = []string{}, ""
		}, "ERROR SMS.6563 no initrd or initramfs image in /boot: build one for the running kernel (update-initramfs -c -k $(uname -r), or dracut -f)"},
		{"none for the running kernel", "initramfs", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) {
			f.Boot.Images, f.Boot.Virtio.Image = []string{"initrd.img-6.1.0-18-amd64"}, ""
		}, "WARN SMS.6563 no initramfs for the running kernel 6.1.0-57-amd64 in /boot (there are initrd.img-6.1.0-18-amd64): build one (update-initramfs -c -k 6.1.0-57-amd64, or dracut -f --kver 6.1.0-57-amd64)"},
		{"no boot facts", "initramfs", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { f.Boot = nil },
			"WARN initramfs images in /boot unknown, for want of boot facts (an inventory file without --facts): run check on the host itself, or give --facts"},
		{"GRUB for BIOS", "grub", nil, "OK GRUB is the boot loader, with its i386-pc modules"},
		{"GRUB without i386-pc", "grub", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { f.Boot.GrubI386PC = false },
			"ERROR SMS.6562 BIOS boot, but GRUB's i386-pc modules are not in /boot/grub or /boot/grub2: reinstall GRUB for BIOS (grub-install or grub2-install --target=i386-pc on the boot disk)"},
		{"UEFI GRUB without i386-pc", "grub", func(inv *inventory.Inventory, f *sms.HostFacts, _ *Input) {
			inv.Host.Firmware, f.Boot.GrubI386PC = "UEFI", false
		}, "OK GRUB is the boot loader"},
		{"no GRUB", "grub", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { f.BootLoader = "" },
			"ERROR SMS.6562 no GRUB in /boot/grub, /boot/grub2 or /boot/efi/EFI/*/grub.cfg: install GRUB 2 (SMS makes the target boot with it)"},
		{"virtio in the initramfs", "virtio", nil, "OK kernel 6.1.0-57-amd64 reaches virtio disks (built in: none; in its initramfs: virtio_blk, virtio_pci, virtio_scsi)"},
		{"no virtio", "virtio", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { f.Boot.Virtio.InInitramfs = []string{} },
			"WARN kernel 6.1.0-57-amd64 lacks virtio_pci and virtio_blk or virtio_scsi (not built in, and its initramfs initrd.img-6.1.0-57-amd64), so the target, a KVM guest, may not find its disk: add them with dracut -f --add-drivers 'virtio_pci virtio_blk virtio_scsi virtio_net' (RHEL, SUSE), or list them in /etc/initramfs-tools/modules and run update-initramfs -u (Debian, Ubuntu)"},
		{"virtio built in", "virtio", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) {
			f.Boot.Virtio.Builtin, f.Boot.Virtio.InInitramfs = []string{"virtio_blk", "virtio_pci"}, []string{}
		}, "OK kernel 6.1.0-57-amd64 reaches virtio disks (built in: virtio_blk, virtio_pci; in its initramfs: none)"},
		{"rsync", "rsync", nil, "OK rsync is installed"},
		{"no rsync", "rsync", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { *f.HasRsync = false },
			"ERROR rsync is not installed (a file-level migration, MIGRATE_FILE, copies files with it): install rsync"},
		{"no rsync, block level", "rsync", func(_ *inventory.Inventory, f *sms.HostFacts, in *Input) { *f.HasRsync, in.Type = false, sms.TypeBlock }, ""},
		{"tc", "tc", nil, "OK tc is installed"},
		{"no tc", "tc", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { *f.HasTc = false },
			"ERROR tc is not installed (SMS's environment check requires it): install it (iproute2; iproute-tc on RHEL 8 and later)"},
		{"HVM", "xen-pv", nil, "OK not a Xen PV guest"},
		{"Xen PV", "xen-pv", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { *f.Boot.XenPV = true },
			"ERROR a Xen PV (paravirtualised) guest, whose kernel cannot boot as a KVM guest: convert it to an HVM guest first"},
		{"x86_64", "arch", nil, "OK architecture x86_64"},
		{"aarch64", "arch", func(inv *inventory.Inventory, _ *sms.HostFacts, _ *Input) { inv.Host.Arch = "aarch64" },
			"ERROR SMS.0206 architecture aarch64 (SMS migrates x86_64 sources): migrate this host another way"},
		{"SELinux disabled", "selinux", nil, "OK SELinux is disabled"},
		{"SELinux enforcing", "selinux", func(_ *inventory.Inventory, f *sms.HostFacts, _ *Input) { f.Boot.SELinux = "enforcing" },
			"WARN SELinux is enforcing (the target enforces it too, with the labels the copy carries): if services on the target are denied after the migration, relabel it (touch /.autorelabel, reboot)"},
		{"offline", "clock", nil, ""},
		{"clock right", "clock", func(_ *inventory.Inventory, _ *sms.HostFacts, in *Input) {
			in.Clock = &Clock{Endpoint: "sms.ap-southeast-3.myhuaweicloud.com", Local: now, Server: now.Add(-90 * time.Second)}
		}, "OK clock within 1m30s of sms.ap-southeast-3.myhuaweicloud.com"},
		{"clock 20 minutes fast", "clock", func(_ *inventory.Inventory, _ *sms.HostFacts, in *Input) {
			in.Clock = &Clock{Endpoint: "sms.ap-southeast-3.myhuaweicloud.com", Local: now, Server: now.Add(-20 * time.Minute)}
		}, "ERROR SMS.0205 this host's clock is 20 min off sms.ap-southeast-3.myhuaweicloud.com's (2026-12-02T11:40:00Z there, 2026-12-02T12:00:00Z here): set the clock and time zone right (NTP); signatures more than 15 minutes off are refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, facts := healthy()
			in := Input{}
			if tt.edit != nil {
				tt.edit(inv, &facts, &in)
			}
			opt := sms.PlanOptions{}
			switch {
			case strings.HasPrefix(in.Type, "exclude:"):
				opt.Exclude, in.Type = []string{strings.TrimPrefix(in.Type, "exclude:")}, ""
			case in.Type == "shrink":
				opt.Shrink, in.Type = true, ""
			}
			p, err := sms.BuildPlan(inv, opt)
			if err != nil {
				t.Fatal(err)
			}
			in.Plan, in.Facts = p, facts
			var got []string
			for _, r := range Run(in) {
				if r.Check == tt.check {
					got = append(got, r.String())
				}
			}
			want := []string{}
			if tt.want != "" {
				want = []string{tt.want}
			}
			if got == nil {
				got = []string{}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.check, d)
			}
		})
	}
	// The healthy host passes every check.
	inv, facts := healthy()
	p, _ := sms.BuildPlan(inv, sms.PlanOptions{})
	for _, r := range Run(Input{Plan: p, Facts: facts}) {
		if r.Level != OK {
			t.Errorf("healthy host: %s", r)
		}
	}
}
