package sms

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/inventory"
)

func usage(used, free int64) *inventory.Usage {
	return &inventory.Usage{FSSize: used + free, UsedSize: used, FreeSize: free, InodeNums: 1000, BlockSize: 4096}
}

// shrinkHost: a 200G MBR system disk (/boot 1G, / 195G using 50G, an extended
// partition holding /srv and an unmounted logical partition), and a 100G data disk
// whose PV holds vg0 with /data (20G used of 60G) and an unmounted LV.
func shrinkHost() *inventory.Inventory {
	return &inventory.Inventory{
		Host: inventory.Host{Hostname: "h", OSType: "LINUX", Arch: "x86_64", Firmware: "BIOS"},
		Disks: []inventory.Disk{
			{Name: "/dev/sda", KName: "sda", Size: 200 << 30, DeviceUse: "BOOT", PartitionStyle: "MBR", OSDisk: true, PhysicalVolumes: []inventory.Partition{
				{Name: "/dev/sda1", KName: "sda1", Number: 1, Start: 1 << 20, Size: 1 << 30, MountPoint: "/boot", DeviceUse: "BOOT", Identity: inventory.Identity{FileSystem: "ext4"}, Usage: usage(200<<20, 700<<20)},
				{Name: "/dev/sda2", KName: "sda2", Number: 2, Index: 1, Start: 1<<30 + 1<<20, Size: 195 << 30, MountPoint: "/", DeviceUse: "OS", UsedSize: 50 << 30, Identity: inventory.Identity{FileSystem: "xfs"}, Usage: usage(50<<30, 145<<30)},
				{Name: "/dev/sda3", KName: "sda3", Number: 3, Index: 2, Start: 196<<30 + 1<<20, Size: 4<<30 - 2<<20, Extended: true, PartType: "0x5"},
				{Name: "/dev/sda5", KName: "sda5", Number: 5, Index: 3, Start: 196<<30 + 2<<20, Size: 3 << 30, MountPoint: "/srv", UsedSize: 100 << 20, Identity: inventory.Identity{FileSystem: "ext4"}, Usage: usage(100<<20, 2<<30)},
				{Name: "/dev/sda6", KName: "sda6", Number: 6, Index: 4, Start: 199<<30 + 3<<20, Size: 1<<30 - 4<<20, Identity: inventory.Identity{FileSystem: "ext2"}},
			}},
			{Name: "/dev/sdb", KName: "sdb", Size: 100 << 30, DeviceUse: "VOLUME_GROUP",
				Identity: &inventory.Identity{FileSystem: "LVM2_member"}, UsedSize: 20 << 30},
		},
		VolumeGroups: []inventory.VolumeGroup{{Name: "vg0", UUID: "u0", Size: 100<<30 - 4<<20, FreeSize: 30<<30 - 4<<20, ExtentSize: 4 << 20,
			Components: []string{"/dev/sdb"}, PVDevices: []string{"/dev/sdb"}, Disks: []string{"/dev/sdb"},
			LogicalVolumes: []inventory.LogicalVolume{
				{Name: "data", Path: "/dev/vg0/data", Device: "/dev/dm-0", Size: 60 << 30, Migrate: true, MountPoint: "/data", Identity: inventory.Identity{FileSystem: "xfs"}, Usage: usage(20<<30, 40<<30)},
				{Name: "cold", Path: "/dev/vg0/cold", Size: 10 << 30, Migrate: true, Identity: inventory.Identity{FileSystem: "ext4"}},
			}}},
		Mounts: []inventory.Mount{
			{MountPoint: "/", Device: "/dev/sda2", FileSystem: "xfs", Kind: "block", Usage: usage(50<<30, 145<<30)},
			{MountPoint: "/boot", Device: "/dev/sda1", FileSystem: "ext4", Kind: "block"},
			{MountPoint: "/srv", Device: "/dev/sda5", FileSystem: "ext4", Kind: "block"},
			{MountPoint: "/data", Device: "/dev/dm-0", FileSystem: "xfs", Kind: "block"},
		},
	}
}

// targets is every target size of a plan, by name, with the reason.
func targets(p *Plan) map[string]string {
	out := map[string]string{}
	for _, d := range p.Disks {
		out[d.Disk.Name] = inventory.HumanSize(d.Target) + " " + d.Why
		for _, v := range d.Volumes {
			if v.Number > 0 {
				out[v.Name] = inventory.HumanSize(v.Target) + " " + v.Why
			} else {
				out[v.Name+" (whole disk)"] = inventory.HumanSize(v.Target) + " " + v.Why
			}
		}
	}
	for _, vg := range p.VolumeGroups {
		out["vg "+vg.VG.Name] = inventory.HumanSize(vg.Target)
		for _, l := range vg.LVs {
			out[vg.VG.Name+"/"+l.LV.Name] = inventory.HumanSize(l.Target) + " " + l.Why
		}
	}
	for k, v := range out {
		out[k] = strings.TrimSpace(v)
	}
	return out
}

func TestShrink(t *testing.T) {
	p := mustPlan(t, shrinkHost(), PlanOptions{})
	if d := p.Disks[0]; d.Target != d.Disk.Size || d.Volumes[1].Target != 195<<30 {
		t.Errorf("without --shrink every target is its source: %+v", targets(p))
	}

	p = mustPlan(t, shrinkHost(), PlanOptions{Shrink: true})
	want := map[string]string{
		// / : 50G used + 20% (10G); /boot keeps its size; /srv is below the 512M floor
		// of a shrunk filesystem, so 512M; sda6 is not mounted; the extended partition
		// holds its logical ones and 1M before each.
		"/dev/sda1": "1G boot partitions keep their size",
		"/dev/sda2": "60G used 50G + 20%",
		"/dev/sda3": "1.5G its logical partitions",
		"/dev/sda5": "512M used 100M + 20%",
		"/dev/sda6": "1020M not mounted: its used size is unknown",
		// 1M before sda1 + 1G + 60G + 1.5G + 1G slack → 64G (whole GiB).
		"/dev/sda": "64G its partitions + 1G",
		// /data 20G + 20%; cold is not mounted; the VG holds them and 4 extents; the
		// whole-disk PV its share plus metadata and an extent; the disk that.
		"vg0/data":              "24G used 20G + 20%",
		"vg0/cold":              "10G not mounted: its used size is unknown",
		"vg vg0":                "34G",
		"/dev/sdb (whole disk)": "34G its share of the shrunk volume group",
		"/dev/sdb":              "35G its volumes",
	}
	if d := cmp.Diff(want, targets(p)); d != "" {
		t.Errorf("shrunk targets (-want +got):\n%s", d)
	}
	// Never below what is used, never above the source.
	for _, pd := range p.Disks {
		for _, v := range pd.Volumes {
			if v.Usage != nil && v.Target < v.Usage.UsedSize || v.Target > v.Size {
				t.Errorf("%s: target %d, used %v, source %d", v.Name, v.Target, v.Usage, v.Size)
			}
		}
	}
	vg := p.VolumeGroups[0]
	var sum int64
	for _, l := range vg.LVs {
		sum += l.Target
	}
	if vg.Target <= sum {
		t.Errorf("vg0 target %d is not larger than its LVs' %d", vg.Target, sum)
	}

	// / gets at least 1G; more headroom.
	inv := shrinkHost()
	inv.Disks[0].PhysicalVolumes[1].Usage = usage(2<<30, 193<<30)
	p = mustPlan(t, inv, PlanOptions{Shrink: true})
	if got := targets(p)["/dev/sda2"]; got != "3G used 2G + 1G for /" {
		t.Errorf("/ with 2G used: %s", got)
	}
	p = mustPlan(t, inv, PlanOptions{Shrink: true, Headroom: 50})
	if got := targets(p)["vg0/data"]; got != "30G used 20G + 50%" {
		t.Errorf("/data with 50%% headroom: %s", got)
	}
	// A small system disk stays at the smallest EVS system disk, 40G.
	inv = shrinkHost()
	inv.Disks[0].PhysicalVolumes[1].Usage = usage(1<<30, 194<<30)
	p = mustPlan(t, inv, PlanOptions{Shrink: true})
	if got := targets(p)["/dev/sda"]; got != "40G the smallest EVS system disk" {
		t.Errorf("small system disk: %s", got)
	}

	// An inventory from before pv_devices (components only), and a disk whose table
	// type blkid did not tell: the same targets.
	inv = shrinkHost()
	inv.VolumeGroups[0].PVDevices = nil
	inv.Disks[0].PartitionStyle = ""
	got := targets(mustPlan(t, inv, PlanOptions{Shrink: true}))
	for _, k := range []string{"/dev/sdb (whole disk)", "/dev/sda", "/dev/sda3"} {
		if got[k] != want[k] {
			t.Errorf("%s: %s; want %s", k, got[k], want[k])
		}
	}

	// Block-level tasks copy partitions whole.
	if _, err := BuildPlan(shrinkHost(), PlanOptions{Shrink: true, Type: TypeBlock}); err == nil || !strings.Contains(err.Error(), "block-level task (MIGRATE_BLOCK) copies every partition whole") {
		t.Errorf("shrink of a block task: %v", err)
	}
}

func TestExclude(t *testing.T) {
	for _, tt := range []struct {
		exclude, err string
	}{
		{"/dev/sda2", "--exclude /dev/sda2: it holds /, without which the target cannot boot"},
		{"sda1", "--exclude sda1: it holds /boot, without which the target cannot boot"},
		{"sdz9", "--exclude sdz9: no disk, partition or logical volume of that name in the inventory"},
		{"/dev/sda1", "--exclude /dev/sda1: it holds /boot, without which the target cannot boot"},
		{"sda", "--exclude sda: it holds /boot, without which the target cannot boot"},
		{"vg0/nope", "--exclude vg0/nope: no disk, partition or logical volume of that name in the inventory"},
	} {
		if _, err := BuildPlan(shrinkHost(), PlanOptions{Exclude: []string{tt.exclude}}); err == nil || err.Error() != tt.err {
			t.Errorf("--exclude %s: %v; want %s", tt.exclude, err, tt.err)
		}
	}
	// A partition and an LV (by path, dm name or vg/lv) leave the task, not the registration.
	for _, lv := range []string{"vg0/cold", "/dev/vg0/cold", "/dev/mapper/vg0-cold"} {
		inv := shrinkHost()
		inv.VolumeGroups[0].LogicalVolumes[1].DMName = "vg0-cold"
		p := mustPlan(t, inv, PlanOptions{Exclude: []string{"/dev/sda5", lv}})
		ts, err := BuildTargetServer(p, TargetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := EncodeBody(ts)
		if strings.Contains(string(body), "/dev/sda5") || strings.Contains(string(body), `"cold"`) || !strings.Contains(string(body), `"/dev/sda6"`) {
			t.Errorf("--exclude /dev/sda5,%s: task body %s", lv, body)
		}
		src, _ := BuildSourceBody(p, HostFacts{}, SourceOptions{})
		sb, _ := EncodeBody(src)
		if !strings.Contains(string(sb), `"/dev/sda5"`) {
			t.Errorf("the registration lost the excluded partition: %s", sb)
		}
		var left []string
		for _, l := range p.Left {
			left = append(left, l.What+" ["+strings.Join(l.MountPoints, ",")+"]")
		}
		if w := []string{"partition /dev/sda5 [/srv]", "logical volume vg0/cold []"}; !cmp.Equal(left, w) {
			t.Errorf("left out %q; want %q", left, w)
		}
	}
}

// TestExtendedPartitionBody: an MBR extended partition is sent with its table extent
// and no filesystem, the logical partitions with their own numbers (index 4, 5).
func TestExtendedPartitionBody(t *testing.T) {
	ts, err := BuildTargetServer(mustPlan(t, shrinkHost(), PlanOptions{}), TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type pv struct {
		name  string
		index int64
		size  int64
		fs    string
		use   string
	}
	var got []pv
	for _, v := range ts.Disks[0].PhysicalVolumes {
		got = append(got, pv{v.Name, *v.Index, *v.Size, v.FileSystem, v.DeviceUse})
	}
	want := []pv{
		{"/dev/sda1", 0, 1 << 30, "ext4", "BOOT"},
		{"/dev/sda2", 1, 195 << 30, "xfs", "OS"},
		{"/dev/sda3", 2, 4<<30 - 2<<20, "", "NORMAL"},
		{"/dev/sda5", 4, 3 << 30, "ext4", "NORMAL"},
		{"/dev/sda6", 5, 1<<30 - 4<<20, "ext2", "NORMAL"},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(pv{})); d != "" {
		t.Errorf("physical volumes (-want +got):\n%s", d)
	}
	// A whole-disk PV is one volume in both bodies, device_use from the seed's enum.
	p := mustPlan(t, shrinkHost(), PlanOptions{})
	src, _ := BuildSourceBody(p, HostFacts{}, SourceOptions{})
	for _, body := range []any{ts.Disks[1], src.Disks[1]} {
		b, _ := EncodeBody(body)
		if !strings.Contains(string(b), `"physical_volumes":[{"device_use":"NORMAL","file_system":"LVM2_member","index":0,`) {
			t.Errorf("whole-disk PV: %s", b)
		}
	}
}

// TestEncodeBodyKeepsAngleBrackets: the body is sent as it is printed, <FS_TREE>
// included (json.Marshal would send \u003cFS_TREE\u003e).
func TestEncodeBodyKeepsAngleBrackets(t *testing.T) {
	b, err := EncodeBody(BtrfsFileSystem{DefaultSubvolName: "<FS_TREE>", Label: "a&b"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"default_subvol_name":"<FS_TREE>"`) || !strings.Contains(string(b), `"label":"a&b"`) || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("encoded %s", b)
	}
}

// TestDefaultSubvolMountPath: a mounted btrfs whose default subvolume is not mounted
// itself sends the filesystem's mount path (the seed allows it).
func TestDefaultSubvolMountPath(t *testing.T) {
	fs := inventory.BtrfsFileSystem{UUID: "u", MountPoint: "/srv", DefaultSubvolID: "256", DefaultSubvolName: "@data"}
	if got := btrfsFileSystem(fs).DefaultSubvolMountpath; got != "/srv" {
		t.Errorf("default subvolume not mounted: %q; want /srv", got)
	}
	fs.DefaultSubvolMountPath = "/srv/data"
	if got := btrfsFileSystem(fs).DefaultSubvolMountpath; got != "/srv/data" {
		t.Errorf("default subvolume mounted: %q", got)
	}
}

func TestMulDivUp(t *testing.T) {
	for _, tt := range []struct{ a, b, c, want int64 }{
		{10, 3, 4, 8}, {16 << 40, 16 << 40, 16 << 40, 16 << 40}, {7, 0, 3, 0}, {1 << 62, 4, 1, 1<<63 - 1},
	} {
		if got := mulDivUp(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("mulDivUp(%d, %d, %d) = %d; want %d", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
}
