package inventory

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
)

// discoverRecorded replays a hand-written Windows recording of testdata/hosts (see
// testdata/windows/README.md for what each holds and where its numbers come from).
func discoverRecorded(t *testing.T, name string, devices ...string) *Inventory {
	t.Helper()
	c := capturetest.Open(t, hostsDir+"/"+name)
	inv, err := Discover(context.Background(), c.Host(time.Now), Options{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func partByName(t *testing.T, d Disk, name string) Partition {
	t.Helper()
	for _, p := range d.PhysicalVolumes {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s has no partition %s", d.Name, name)
	return Partition{}
}

func warningsOf(inv *Inventory, source string) []string {
	var out []string
	for _, w := range inv.Warnings {
		if w.Source == source {
			out = append(out, w.Message)
		}
	}
	return out
}

// BIOS: the active System Reserved partition is BOOT, C: is OS, the disk holding both
// is BOOT and the OS disk; a dynamic MBR disk's 0x42 container is replaced by its volume.
func TestWindowsBIOSAndDynamicMBR(t *testing.T) {
	inv := discoverRecorded(t, "win2012r2-bios")
	if inv.Host.OSType != "WINDOWS" || inv.Host.Firmware != "BIOS" || inv.Host.Windows.Platform != "vmware" {
		t.Errorf("host %+v %+v", inv.Host, inv.Host.Windows)
	}
	d0 := inv.Disks[0]
	if d0.Name != `\\.\PHYSICALDRIVE0` || d0.PartitionStyle != "MBR" || d0.DeviceUse != UseBoot || !d0.OSDisk || d0.Size != 60<<30 {
		t.Errorf("disk 0 = %+v", d0)
	}
	sr := partByName(t, d0, `\\.\Harddisk0Partition1`)
	if sr.DeviceUse != UseBoot || sr.Label != "System Reserved" || sr.MountPoint != "" || sr.PartType != "0x07" || sr.Size != 350<<20 {
		t.Errorf("System Reserved = %+v", sr)
	}
	c := partByName(t, d0, "C:")
	if c.DeviceUse != UseOS || c.MountPoint != `C:\` || c.FileSystem != "NTFS" || c.SizePerCluster != 4096 ||
		c.UsedSize != 21<<30+123<<20 || c.Usage == nil || c.Usage.UsedSize != c.UsedSize || c.Index != 1 || c.Number != 2 {
		t.Errorf("C: = %+v", c)
	}
	d1 := inv.Disks[1]
	if !d1.Dynamic || len(d1.PhysicalVolumes) != 1 || d1.DeviceUse != UseNormal {
		t.Fatalf("disk 1 = %+v", d1)
	}
	if d := d1.PhysicalVolumes[0]; d.Name != "D:" || d.Start != 1<<20 || d.Size != 80<<30 || d.Number != 0 || d.Extent != nil {
		t.Errorf("D: = %+v", d)
	}
	// What SMS does with a dynamic disk is check's to say (agent/check); it is no
	// failure to read.
	if w := warningsOf(inv, "dynamic_disk"); len(w) != 0 {
		t.Errorf("dynamic disk warnings %q", w)
	}
	// The CD-ROM and the network drive are listed, never asked for usage.
	kinds := map[string]string{}
	for _, m := range inv.Mounts {
		kinds[m.MountPoint] = m.Kind
		if m.Kind != "block" && m.Usage != nil {
			t.Errorf("%s (%s) has usage", m.MountPoint, m.Kind)
		}
	}
	if kinds[`E:\`] != "cdrom" || kinds[`Z:\`] != "network" || kinds[`C:\`] != "block" {
		t.Errorf("mount kinds %v", kinds)
	}
}

// UEFI 2016 layout: Recovery, ESP (BOOT), MSR (no volume), C:; a data volume mounted on a
// folder only keeps the partition's device name and shows the folder as its mount point.
func TestWindowsUEFIAndFolderMount(t *testing.T) {
	inv := discoverRecorded(t, "win2016-uefi")
	d0 := inv.Disks[0]
	uses := []string{}
	for _, p := range d0.PhysicalVolumes {
		uses = append(uses, p.Name+"="+p.DeviceUse)
	}
	want := `\\.\Harddisk0Partition1=NORMAL \\.\Harddisk0Partition2=BOOT \\.\Harddisk0Partition3=NORMAL C:=OS`
	if got := strings.Join(uses, " "); got != want || d0.DeviceUse != UseBoot || d0.PartitionStyle != "GPT" {
		t.Errorf("disk 0: %s (%s); want %s", got, d0.DeviceUse, want)
	}
	if msr := d0.PhysicalVolumes[2]; msr.FileSystem != "" || msr.Usage != nil || msr.PartType != "e3c9e316-0b5c-4db8-817d-f92df00215ae" {
		t.Errorf("MSR = %+v", msr)
	}
	data := partByName(t, inv.Disks[1], `\\.\Harddisk1Partition2`)
	if data.MountPoint != `C:\data\` || data.SizePerCluster != 65536 || data.Label != "appdata" || data.DeviceUse != UseNormal {
		t.Errorf("folder-mounted volume = %+v", data)
	}
	if inv.Host.Windows.Platform != "hw" || inv.Host.Windows.DriverFiles == nil || !*inv.Host.Windows.DriverFiles {
		t.Errorf("windows host %+v", inv.Host.Windows)
	}
	if len(inv.Warnings) != 0 {
		t.Errorf("warnings %v", inv.Warnings)
	}
}

// A BitLocker data volume is flagged and named in a warning; the removable disk and its
// volume are left out without being asked anything but their type.
func TestWindowsBitLockerAndRemovable(t *testing.T) {
	inv := discoverRecorded(t, "win2019-bios-bitlocker")
	if len(inv.Disks) != 2 {
		t.Fatalf("%d disks; want 2 (the USB stick is not a candidate)", len(inv.Disks))
	}
	if d := partByName(t, inv.Disks[1], "D:"); d.BitLocker != "on" {
		t.Errorf("D: BitLocker %q; want on", d.BitLocker)
	}
	if c := partByName(t, inv.Disks[0], "C:"); c.BitLocker != "off" {
		t.Errorf("C: BitLocker %q; want off", c.BitLocker)
	}
	if w := warningsOf(inv, "bitlocker"); len(w) != 0 {
		t.Errorf("bitlocker warnings %q (check names the volume)", w)
	}
	// Naming only disk 0 leaves D:'s disk out.
	inv = discoverRecorded(t, "win2019-bios-bitlocker", "physicaldrive0")
	if len(inv.Disks) != 1 {
		t.Errorf("--devices physicaldrive0: %d disks, warnings %v", len(inv.Disks), inv.Warnings)
	}
}

// A dynamic volume spanning two disks is listed on each, with its size there and its used
// bytes shared by size, exactly in total.
func TestWindowsSpannedVolume(t *testing.T) {
	inv := discoverRecorded(t, "win2022-uefi-dynamic")
	var pieces []Partition
	for _, d := range inv.Disks[1:] {
		if !d.Dynamic {
			t.Errorf("%s not dynamic", d.Name)
		}
		pieces = append(pieces, partByName(t, d, "E:"))
	}
	const used = 51<<30 + 5<<20 // the volume's, from its free space
	if pieces[0].Size != 40<<30 || pieces[1].Size != 30<<30 || pieces[0].UsedSize+pieces[1].UsedSize != used {
		t.Errorf("pieces %d/%d bytes, used %d+%d; want 40G/30G, %d in total", pieces[0].Size, pieces[1].Size,
			pieces[0].UsedSize, pieces[1].UsedSize, used)
	}
	if e := pieces[1].Extent; e == nil || e.Index != 2 || e.Count != 2 || e.VolumeSize != 70<<30 {
		t.Errorf("second piece extent %+v", e)
	}
	if w := warningsOf(inv, "dynamic_disk"); len(w) != 0 {
		t.Errorf("warnings %q (check names the spanning volume)", w)
	}
	// The recovery partition after C: (2022's layout) is listed and not BOOT.
	rec := inv.Disks[0].PhysicalVolumes[3]
	if rec.PartType != "de94bba4-06d1-4d40-a16a-bfd50179d6ac" || rec.DeviceUse != UseNormal || rec.MountPoint != "" {
		t.Errorf("recovery = %+v", rec)
	}
}

func TestWindowsStorageSpaces(t *testing.T) {
	inv := discoverRecorded(t, "win2019-uefi-storage-spaces")
	got := map[string]string{}
	for _, d := range inv.Disks {
		got[d.KName] = d.StorageSpaces
	}
	if got["PHYSICALDRIVE1"] != "pool_member" || got["PHYSICALDRIVE2"] != "pool_member" || got["PHYSICALDRIVE3"] != "virtual_disk" || got["PHYSICALDRIVE0"] != "" {
		t.Errorf("storage spaces %v", got)
	}
	if s := partByName(t, inv.Disks[3], "S:"); s.FileSystem != "ReFS" {
		t.Errorf("S: = %+v", s)
	}
	if inv.Host.Windows.VSSService != "disabled" {
		t.Errorf("VSS %q", inv.Host.Windows.VSSService)
	}
	if len(warningsOf(inv, "storage_spaces")) != 0 {
		t.Errorf("warnings %v (check names the pool's disks)", inv.Warnings)
	}
}

func TestCloudPlatform(t *testing.T) {
	for _, tt := range []struct{ m, p, b, want string }{
		{"VMware, Inc.", "VMware Virtual Platform", "Phoenix Technologies LTD", "vmware"},
		{"Amazon EC2", "t3.large", "Amazon EC2", "aws"},
		{"Xen", "HVM domU", "Xen", ""},
		{"OpenStack Foundation", "OpenStack Nova", "HUAWEI CLOUD", "hw"},
		{"Alibaba Cloud", "Alibaba Cloud ECS", "SeaBIOS", "ali"},
		{"Google", "Google Compute Engine", "Google", "gcp"},
		{"Tencent Cloud", "CVM", "SeaBIOS", "tencent"},
		{"Microsoft Corporation", "Virtual Machine", "Microsoft Corporation", "hyperv"},
		{"Microsoft Corporation", "Surface Pro", "Microsoft Corporation", ""},
		{"Dell Inc.", "PowerEdge R640", "Dell Inc.", ""},
	} {
		if got := CloudPlatform(tt.m, tt.p, tt.b); got != tt.want {
			t.Errorf("%q %q %q: %q; want %q", tt.m, tt.p, tt.b, got, tt.want)
		}
	}
}
