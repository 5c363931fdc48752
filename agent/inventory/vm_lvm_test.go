package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The vm-lvm-* captures come from a VM with device-mapper and ACTIVE logical volumes
// (e2e/vm/record.sh): "/" on an LV, /boot on a partition, a VG over a partition and a
// whole disk, a linear LV spanning both, an inactive LV, a snapshot, a thin pool with thin
// volumes and a thin snapshot, raid1, mirror, a cached LV, LVM inside LUKS, and (nested
// only) a VG inside an LV. Next to each capture, NAME.reference/ holds what other tools
// said at the same moment in the VM: lsblk, blkid run once per device, dmsetup, df, and
// lvs/vgs/pvs. These tests check the replayed inventory against those values, not
// against itself.

func TestVMLVMActive(t *testing.T) {
	inv, ref := loadVM(t, "vm-lvm-active")
	checkVM(t, inv, ref)
	if len(inv.Warnings) != 0 {
		t.Errorf("warnings = %v, want none", inv.Warnings)
	}
	// Every layout record.sh builds is in the capture (a layout the guest could not build
	// would be missing from lvs too, and the generic checks would not notice).
	for _, want := range []struct{ vg, lv, kind string }{
		{"smsvg0", "root", "linear"}, {"smsvg0", "span", "linear"}, {"smsvg0", "offline", "linear"},
		{"smsvg0", "rootsnap", "snapshot"}, {"smsvg0", "pool", "thin-pool"}, {"smsvg0", "thin1", "thin"},
		{"smsvg0", "thin2", "thin"}, {"smsvg0", "thin1snap", "thin-snapshot"}, {"smsvg0", "r1", "raid"},
		{"smsvg0", "mir", "mirror"}, {"smsvg0", "cached", "cache"}, {"smsvg1", "data", "linear"},
	} {
		if lv := findLV(inv, want.vg, want.lv); lv == nil || lv.Kind != want.kind {
			t.Errorf("LV %s/%s of kind %s missing (got %+v)", want.vg, want.lv, want.kind, lv)
		}
	}
	// The span LV lies on both PVs (dmsetup table: one linear segment on each).
	if segs := ref.dmTable["smsvg0-span"]; len(segs) != 2 {
		t.Errorf("reference: smsvg0-span has %d dm segments, want 2 (one per PV)", len(segs))
	}
	if lv := findLV(inv, "smsvg0", "root"); lv == nil || lv.MountPoint != "/" || lv.DeviceUse != UseOS {
		t.Errorf("smsvg0/root: want mounted on / with device_use OS, got %+v", lv)
	}
}

func TestVMLVMNested(t *testing.T) {
	inv, ref := loadVM(t, "vm-lvm-nested")
	checkVM(t, inv, ref)
	// A PV on an LV is reported (SMS rejects nested LVM), and nothing else is.
	want := `physical volume /dev/smsvg0/nestpv of VG "smsnest" is logical volume smsvg0/nestpv`
	if len(inv.Warnings) != 1 || inv.Warnings[0].Source != "lvm" || inv.Warnings[0].Message != want {
		t.Errorf("warnings = %+v, want exactly {lvm %s}", inv.Warnings, want)
	}
	if lv := findLV(inv, "smsnest", "inner"); lv == nil || lv.MountPoint != "/mnt/nested" {
		t.Errorf("smsnest/inner: want mounted on /mnt/nested, got %+v", lv)
	}
}

// checkVM checks everything the reference values say about the inventory.
func checkVM(t *testing.T, inv *Inventory, ref *vmRef) {
	t.Helper()
	checkVMLogicalVolumes(t, inv, ref)
	checkVMVolumeGroups(t, inv, ref)
	checkVMMounts(t, inv, ref)
	checkVMDisks(t, inv, ref)
}

// checkVMLogicalVolumes: every LV of `lvs -a` with its size, kind, flags, activity and
// dm device; mounted LVs with df's numbers; active public LVs with blkid's identity.
func checkVMLogicalVolumes(t *testing.T, inv *Inventory, ref *vmRef) {
	t.Helper()
	nInv := 0
	for _, vg := range inv.VolumeGroups {
		nInv += len(vg.LogicalVolumes)
	}
	if nInv != len(ref.lvs) {
		t.Errorf("inventory has %d LVs, lvs -a has %d", nInv, len(ref.lvs))
	}
	for _, r := range ref.lvs {
		name := r.name()
		lv := findLV(inv, r.VG, name)
		if lv == nil {
			t.Errorf("LV %s/%s (lvs -a) is missing from the inventory", r.VG, name)
			continue
		}
		id := r.VG + "/" + name
		var diffs []string
		want := func(field string, got, want any) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, got, want))
			}
		}
		want("uuid", lv.UUID, r.UUID)
		want("size", lv.Size, r.Size)
		want("kind", lv.Kind, r.kind())
		want("hidden", lv.Hidden, r.hidden())
		want("snapshot", lv.Snapshot, r.snapshot())
		want("migrate", lv.Migrate, !r.hidden() && !r.snapshot() && !r.pool())
		want("origin", lv.Origin, unbracket(r.Origin))
		want("pool", lv.Pool, unbracket(r.PoolLV))
		if lv.Active == nil {
			diffs = append(diffs, fmt.Sprintf("active absent, want %v", r.active()))
		} else {
			want("active", *lv.Active, r.active())
		}
		dmName := path.Base(r.DMPath)
		want("dm_name", lv.DMName, dmName)
		wantDev := ""
		if r.active() {
			mm, ok := ref.dm[dmName]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("reference: dmsetup has no device %s for this active LV", dmName))
			} else {
				wantDev = "/dev/" + ref.knameOf[mm]
			}
		}
		want("device", lv.Device, wantDev)
		kname := strings.TrimPrefix(wantDev, "/dev/")
		if kname != "" && !r.hidden() {
			// What is on the device: blkid run on it alone. The filesystem UUID is
			// "uuid" in the JSON (lvm's is "lv_uuid"); decoding must bring both back.
			b := ref.blkid[kname]
			want("file_system", lv.FileSystem, b["TYPE"])
			want("filesystem uuid (Identity.UUID, decoded from the JSON)", lv.Identity.UUID, b["UUID"])
			want("label", lv.Label, b["LABEL"])
			mp := ref.blk[kname].MountPoint
			want("mount_point", lv.MountPoint, mp)
			if mp != "" {
				d, ok := ref.df[mp]
				if !ok {
					diffs = append(diffs, "reference: df has no "+mp)
				} else {
					want("file_system (df)", lv.FileSystem, d.fsType)
					want("usage", usageString(lv.Usage), d.usageString())
				}
			} else if lv.Usage != nil {
				diffs = append(diffs, "usage present on an unmounted LV")
			}
		}
		if kname == "" && (lv.MountPoint != "" || lv.Usage != nil) {
			diffs = append(diffs, "mount point or usage on an LV without a device")
		}
		for _, d := range diffs {
			t.Errorf("LV %s: %s", id, d)
		}
	}
}

// checkVMVolumeGroups: VG sizes and members from vgs/pvs, PVs with their identity and
// device_use, and the LVs' used space attributed to the PVs.
func checkVMVolumeGroups(t *testing.T, inv *Inventory, ref *vmRef) {
	t.Helper()
	if len(inv.VolumeGroups) != len(ref.vgs) {
		t.Errorf("inventory has %d VGs, vgs has %d", len(inv.VolumeGroups), len(ref.vgs))
	}
	for _, r := range ref.vgs {
		var vg *VolumeGroup
		for i := range inv.VolumeGroups {
			if inv.VolumeGroups[i].Name == r.Name {
				vg = &inv.VolumeGroups[i]
			}
		}
		if vg == nil {
			t.Errorf("VG %s missing", r.Name)
			continue
		}
		if vg.UUID != r.UUID || vg.Size != r.Size || vg.FreeSize != r.Free || vg.ExtentSize != r.ExtentSize {
			t.Errorf("VG %s: uuid/size/free/extent = %s/%d/%d/%d, want %s/%d/%d/%d", r.Name,
				vg.UUID, vg.Size, vg.FreeSize, vg.ExtentSize, r.UUID, r.Size, r.Free, r.ExtentSize)
		}
		visible := 0
		for _, lv := range vg.LogicalVolumes {
			if !lv.Hidden {
				visible++
			}
		}
		if visible != r.LVCount {
			t.Errorf("VG %s: %d visible LVs, vgs lv_count %d", r.Name, visible, r.LVCount)
		}
		var pvs []string
		for _, pv := range ref.pvs {
			if pv.VG == r.Name {
				pvs = append(pvs, pv.Name)
			}
		}
		got := append([]string{}, vg.Components...)
		sort.Strings(got)
		sort.Strings(pvs)
		if strings.Join(got, ",") != strings.Join(pvs, ",") || len(pvs) != r.PVCount {
			t.Errorf("VG %s: components = %v, want the PVs of pvs %v (pv_count %d)", r.Name, vg.Components, pvs, r.PVCount)
		}
	}
	// PVs on disks and partitions: LVM2_member with the PV's UUID, device_use VOLUME_GROUP
	// (a whole disk is OS or BOOT first when it holds / or /boot, see checkVMDisks).
	for _, pv := range ref.pvs {
		k := strings.TrimPrefix(pv.Name, "/dev/")
		if d := findDisk(inv, k); d != nil {
			if d.Identity == nil || d.FileSystem != "LVM2_member" || d.UUID != pv.UUID {
				t.Errorf("disk %s (PV of %s): identity %+v, want LVM2_member %s", pv.Name, pv.VG, d.Identity, pv.UUID)
			}
		}
		if p := findPartition(inv, k); p != nil {
			if p.FileSystem != "LVM2_member" || p.UUID != pv.UUID || p.DeviceUse != UseVolumeGroup {
				t.Errorf("partition %s (PV of %s): file_system/uuid/device_use = %s/%s/%s, want LVM2_member/%s/VOLUME_GROUP",
					pv.Name, pv.VG, p.FileSystem, p.UUID, p.DeviceUse, pv.UUID)
			}
		}
	}
	// The used space of a VG's mounted data LVs (df) is spread over its PVs: the PVs'
	// used_size add up to it, for the VGs whose PVs are all disks or partitions.
	for _, r := range ref.vgs {
		var sumPV int64
		onDisks := true
		for _, pv := range ref.pvs {
			if pv.VG != r.Name {
				continue
			}
			k := strings.TrimPrefix(pv.Name, "/dev/")
			switch d, p := findDisk(inv, k), findPartition(inv, k); {
			case d != nil:
				sumPV += d.UsedSize
			case p != nil:
				sumPV += p.UsedSize
			default:
				onDisks = false
			}
		}
		if !onDisks {
			continue
		}
		// df's used of the VG's mounted data LVs, and of those of a VG nested in one of
		// its LVs (a PV on an LV): that data lies on this VG's PVs too.
		var usedOf func(vg string) int64
		usedOf = func(vg string) int64 {
			var sum int64
			for _, lv := range ref.lvs {
				if lv.VG != vg || lv.hidden() || lv.snapshot() || lv.pool() || !lv.active() {
					continue
				}
				if mp := ref.blk[ref.knameOf[ref.dm[path.Base(lv.DMPath)]]].MountPoint; mp != "" {
					sum += ref.df[mp].used
				}
				for _, pv := range ref.pvs {
					if pv.Name == "/dev/"+lv.VG+"/"+lv.name() && pv.VG != "" {
						sum += usedOf(pv.VG)
					}
				}
			}
			return sum
		}
		sumLV := usedOf(r.Name)
		if sumPV != sumLV {
			t.Errorf("VG %s: used_size of its PVs adds up to %d, df's used of its mounted data LVs to %d", r.Name, sumPV, sumLV)
		}
	}
}

// checkVMMounts: every filesystem df lists is a mount with its device and df's numbers.
func checkVMMounts(t *testing.T, inv *Inventory, ref *vmRef) {
	t.Helper()
	if len(inv.Mounts) != len(ref.df) {
		t.Errorf("inventory has %d mounts, df lists %d block filesystems", len(inv.Mounts), len(ref.df))
	}
	for mp, d := range ref.df {
		var m *Mount
		for i := range inv.Mounts {
			if inv.Mounts[i].MountPoint == mp {
				m = &inv.Mounts[i]
			}
		}
		if m == nil {
			t.Errorf("mount %s (df) missing", mp)
			continue
		}
		kname := ""
		for k, b := range ref.blk {
			if b.MountPoint == mp {
				kname = k
			}
		}
		if m.Device != "/dev/"+kname || m.Source != d.source || m.FileSystem != d.fsType || m.MajMin != ref.blk[kname].MajMin {
			t.Errorf("mount %s: device/source/fs/maj_min = %s/%s/%s/%s, want /dev/%s/%s/%s/%s", mp, m.Device, m.Source,
				m.FileSystem, m.MajMin, kname, d.source, d.fsType, ref.blk[kname].MajMin)
		}
		if got, want := usageString(m.Usage), d.usageString(); got != want {
			t.Errorf("mount %s: usage %s, want (df) %s", mp, got, want)
		}
	}
}

// checkVMDisks: disks and partitions from lsblk, their identity from blkid, and which
// disks hold / and /boot, however many layers (LV, VG, LUKS) lie between.
func checkVMDisks(t *testing.T, inv *Inventory, ref *vmRef) {
	t.Helper()
	root, boot := map[string]bool{}, map[string]bool{}
	for k, b := range ref.blk {
		switch b.MountPoint {
		case "/":
			for _, d := range ref.disksUnder(k) {
				root[d] = true
			}
		case "/boot":
			for _, d := range ref.disksUnder(k) {
				boot[d] = true
			}
		}
	}
	if len(root) == 0 || len(boot) == 0 {
		t.Fatalf("reference: no disk holds / (%v) or /boot (%v)", root, boot)
	}
	ndisks := 0
	for k, b := range ref.blk {
		if b.Type != "disk" {
			continue
		}
		ndisks++
		d := findDisk(inv, k)
		if d == nil {
			t.Errorf("disk %s (lsblk) missing", k)
			continue
		}
		bl := ref.blkid[k]
		wantUse := UseNormal
		switch {
		case boot[k]:
			wantUse = UseBoot
		case root[k]:
			wantUse = UseOS
		case bl["TYPE"] == "LVM2_member":
			wantUse = UseVolumeGroup
		}
		style := map[string]string{"gpt": "GPT", "dos": "MBR"}[bl["PTTYPE"]]
		if d.Size != b.Size || d.MajMin != b.MajMin || d.OSDisk != root[k] || d.DeviceUse != wantUse ||
			d.PartitionStyle != style || d.PartitionTableUUID != bl["PTUUID"] {
			t.Errorf("disk %s: size/maj_min/os_disk/device_use/partition_style/ptuuid = %d/%s/%v/%s/%s/%s, want %d/%s/%v/%s/%s/%s", k,
				d.Size, d.MajMin, d.OSDisk, d.DeviceUse, d.PartitionStyle, d.PartitionTableUUID,
				b.Size, b.MajMin, root[k], wantUse, style, bl["PTUUID"])
		}
		if bl["TYPE"] != "" {
			if d.Identity == nil || d.FileSystem != bl["TYPE"] || d.UUID != bl["UUID"] || d.Label != bl["LABEL"] {
				t.Errorf("disk %s: identity %+v, want %s %s %q", k, d.Identity, bl["TYPE"], bl["UUID"], bl["LABEL"])
			}
		} else if d.Identity != nil && d.PartitionStyle == "" {
			t.Errorf("disk %s: identity %+v, blkid found nothing", k, d.Identity)
		}
		nparts := 0
		for pk, pb := range ref.blk {
			if pb.Type != "part" || pb.PKName != k {
				continue
			}
			nparts++
			p := findPartition(inv, pk)
			if p == nil {
				t.Errorf("partition %s (lsblk) missing", pk)
				continue
			}
			pbl := ref.blkid[pk]
			wantUse := UseNormal
			switch {
			case pbl["TYPE"] == "LVM2_member":
				wantUse = UseVolumeGroup
			case pb.MountPoint == "/boot":
				wantUse = UseBoot
			case pb.MountPoint == "/":
				wantUse = UseOS
			}
			got := fmt.Sprint(p.Size, p.MajMin, p.FileSystem, p.UUID, p.Label, p.PartUUID, p.PartLabel, p.PartType, p.MountPoint, p.DeviceUse)
			want := fmt.Sprint(pb.Size, pb.MajMin, pbl["TYPE"], pbl["UUID"], pbl["LABEL"], pbl["PART_ENTRY_UUID"], pbl["PART_ENTRY_NAME"],
				pbl["PART_ENTRY_TYPE"], pb.MountPoint, wantUse)
			if got != want {
				t.Errorf("partition %s: size maj_min fs uuid label part_uuid part_label part_type mount_point device_use =\n  %s, want\n  %s", pk, got, want)
			}
			if pb.MountPoint != "" {
				if got, want := usageString(p.Usage), ref.df[pb.MountPoint].usageString(); got != want {
					t.Errorf("partition %s: usage %s, want (df) %s", pk, got, want)
				}
			}
		}
		if len(d.PhysicalVolumes) != nparts {
			t.Errorf("disk %s: %d partitions, lsblk %d", k, len(d.PhysicalVolumes), nparts)
		}
	}
	if len(inv.Disks) != ndisks {
		t.Errorf("inventory has %d disks, lsblk %d", len(inv.Disks), ndisks)
	}
}

// ---- the reference values

type refLV struct {
	Name    string `json:"lv_name"`
	VG      string `json:"vg_name"`
	UUID    string `json:"lv_uuid"`
	Size    int64  `json:"lv_size,string"`
	Attr    string `json:"lv_attr"`
	Segtype string `json:"segtype"`
	PoolLV  string `json:"pool_lv"`
	Origin  string `json:"origin"`
	DMPath  string `json:"lv_dm_path"`
}

func (r refLV) name() string    { return unbracket(r.Name) }
func (r refLV) hidden() bool    { return strings.HasPrefix(r.Name, "[") }
func (r refLV) active() bool    { return len(r.Attr) > 4 && r.Attr[4] != '-' }
func (r refLV) pool() bool      { return r.Segtype == "thin-pool" || r.Segtype == "cache-pool" }
func (r refLV) snapshot() bool  { return r.Attr[0] == 's' || (r.Segtype == "thin" && r.Origin != "") }
func unbracket(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]") }

// kind is what the LV is, from lvs's segment type and lv_attr's volume type.
func (r refLV) kind() string {
	switch {
	case r.pool():
		return r.Segtype
	case r.Segtype == "thin" && r.Origin != "":
		return "thin-snapshot"
	case r.Segtype == "thin", r.Segtype == "cache", r.Segtype == "mirror":
		return r.Segtype
	case strings.HasPrefix(r.Segtype, "raid"):
		return "raid"
	case r.Attr[0] == 's':
		return "snapshot"
	case r.hidden():
		return "component"
	}
	return r.Segtype // linear, striped
}

type refVG struct {
	Name       string `json:"vg_name"`
	UUID       string `json:"vg_uuid"`
	Size       int64  `json:"vg_size,string"`
	Free       int64  `json:"vg_free,string"`
	ExtentSize int64  `json:"vg_extent_size,string"`
	PVCount    int    `json:"pv_count,string"`
	LVCount    int    `json:"lv_count,string"`
}

type refPV struct {
	Name string `json:"pv_name"`
	VG   string `json:"vg_name"`
	UUID string `json:"pv_uuid"`
}

type refBlk struct {
	KName      string `json:"kname"`
	MajMin     string `json:"maj:min"`
	Size       int64  `json:"size"`
	Type       string `json:"type"`
	MountPoint string `json:"mountpoint"`
	PKName     string `json:"pkname"`
}

type refDF struct {
	source, fsType            string
	size, used, avail, inodes int64
	target                    string
}

func (d refDF) usageString() string {
	return fmt.Sprintf("size=%d used=%d free=%d inodes=%d", d.size, d.used, d.avail, d.inodes)
}

func usageString(u *Usage) string {
	if u == nil {
		return "none"
	}
	return fmt.Sprintf("size=%d used=%d free=%d inodes=%d", u.FSSize, u.UsedSize, u.FreeSize, u.InodeNums)
}

type vmRef struct {
	lvs     []refLV // lvs -a, one row per LV (lvs prints one per segment)
	vgs     []refVG
	pvs     []refPV
	blk     map[string]refBlk            // lsblk by kernel name
	knameOf map[string]string            // maj:min → kernel name
	dm      map[string]string            // dmsetup: dm name → maj:min
	dmTable map[string][]string          // dmsetup table: dm name → its target lines
	df      map[string]refDF             // df by mount point
	blkid   map[string]map[string]string // blkid -p of each device alone, by kernel name
}

// loadVM replays testdata/hosts/NAME.tar.gz and reads NAME.reference/.
func loadVM(t *testing.T, name string) (*Inventory, *vmRef) {
	t.Helper()
	var inv Inventory
	if err := json.Unmarshal(replay(t, filepath.Join(hostsDir, name+".tar.gz"), nil), &inv); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(hostsDir, name+".reference")
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ref := &vmRef{blk: map[string]refBlk{}, knameOf: map[string]string{}, dm: map[string]string{},
		dmTable: map[string][]string{}, df: map[string]refDF{}, blkid: map[string]map[string]string{}}

	var lvs struct {
		Report []struct {
			LV []refLV `json:"lv"`
			VG []refVG `json:"vg"`
			PV []refPV `json:"pv"`
		} `json:"report"`
	}
	seen := map[string]bool{}
	for _, f := range []string{"lvs.json", "vgs.json", "pvs.json"} {
		lvs.Report = nil
		if err := json.Unmarshal(read(f), &lvs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range lvs.Report {
			for _, lv := range r.LV {
				if k := lv.VG + "/" + lv.Name; !seen[k] {
					seen[k] = true
					ref.lvs = append(ref.lvs, lv)
				}
			}
			ref.vgs = append(ref.vgs, r.VG...)
			ref.pvs = append(ref.pvs, r.PV...)
		}
	}

	var blk struct {
		Devices []refBlk `json:"blockdevices"`
	}
	if err := json.Unmarshal(read("lsblk.json"), &blk); err != nil {
		t.Fatalf("lsblk.json: %v", err)
	}
	for _, b := range blk.Devices {
		ref.blk[b.KName] = b
		ref.knameOf[b.MajMin] = b.KName
	}

	// dmsetup info -c --noheadings -o name,uuid,major,minor: "name:uuid:major:minor".
	for _, line := range lines(read("dmsetup-info.txt")) {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			t.Fatalf("dmsetup-info.txt: %q", line)
		}
		ref.dm[f[0]] = f[len(f)-2] + ":" + f[len(f)-1]
	}
	// dmsetup table: "name: start length target args".
	for _, line := range lines(read("dmsetup-table.txt")) {
		n, rest, _ := strings.Cut(line, ": ")
		ref.dmTable[n] = append(ref.dmTable[n], rest)
	}

	// df -B1 --output=source,fstype,size,used,avail,itotal,target.
	for i, line := range lines(read("df.txt")) {
		f := strings.Fields(line)
		if i == 0 {
			continue // header
		}
		if len(f) < 7 {
			t.Fatalf("df.txt: %q", line)
		}
		d := refDF{source: f[0], fsType: f[1], target: strings.Join(f[6:], " ")}
		for j, p := range []*int64{&d.size, &d.used, &d.avail, &d.inodes} {
			n, err := strconv.ParseInt(f[2+j], 10, 64)
			if err != nil {
				t.Fatalf("df.txt: %q: %v", line, err)
			}
			*p = n
		}
		ref.df[d.target] = d
	}

	// blkid.txt: blocks of KEY=value lines (blkid -o export), one per device.
	var cur map[string]string
	for _, line := range append(lines(read("blkid.txt")), "") {
		switch k, v, ok := strings.Cut(line, "="); {
		case strings.HasPrefix(line, "#"):
		case ok && k == "DEVNAME":
			cur = map[string]string{}
			ref.blkid[strings.TrimPrefix(v, "/dev/")] = cur
			cur[k] = v
		case ok && cur != nil:
			cur[k] = strings.ReplaceAll(v, `\ `, " ")
		}
	}
	for k := range ref.blk {
		if ref.blkid[k] == nil {
			t.Fatalf("blkid.txt: no entry for %s", k)
		}
	}
	if len(ref.lvs) == 0 || len(ref.vgs) == 0 || len(ref.pvs) == 0 || len(ref.dm) == 0 || len(ref.df) == 0 {
		t.Fatalf("%s: incomplete reference", dir)
	}
	return &inv, ref
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// devKName resolves a device path lvm or cryptsetup names (/dev/vda2, /dev/mapper/x,
// /dev/vg/lv) to a kernel name.
func (r *vmRef) devKName(p string) string {
	if n, ok := strings.CutPrefix(p, "/dev/mapper/"); ok {
		return r.knameOf[r.dm[n]]
	}
	if f := strings.Split(strings.TrimPrefix(p, "/dev/"), "/"); len(f) == 2 {
		for _, lv := range r.lvs {
			if lv.VG == f[0] && lv.name() == f[1] {
				return r.knameOf[r.dm[path.Base(lv.DMPath)]]
			}
		}
	}
	return strings.TrimPrefix(p, "/dev/")
}

// disksUnder returns the disks a device lies on: a partition's disk, an LV's VG's PVs'
// disks, a LUKS mapping's device's disk.
func (r *vmRef) disksUnder(kname string) []string {
	b := r.blk[kname]
	switch b.Type {
	case "disk":
		return []string{kname}
	case "part", "crypt":
		return r.disksUnder(b.PKName)
	case "lvm":
		for _, lv := range r.lvs {
			if r.knameOf[r.dm[path.Base(lv.DMPath)]] != kname {
				continue
			}
			var out []string
			for _, pv := range r.pvs {
				if pv.VG == lv.VG {
					out = append(out, r.disksUnder(r.devKName(pv.Name))...)
				}
			}
			return out
		}
	}
	return nil
}

func findLV(inv *Inventory, vg, name string) *LogicalVolume {
	for i := range inv.VolumeGroups {
		if inv.VolumeGroups[i].Name != vg {
			continue
		}
		for j := range inv.VolumeGroups[i].LogicalVolumes {
			if lv := &inv.VolumeGroups[i].LogicalVolumes[j]; lv.Name == name {
				return lv
			}
		}
	}
	return nil
}

func findDisk(inv *Inventory, kname string) *Disk {
	for i := range inv.Disks {
		if inv.Disks[i].KName == kname {
			return &inv.Disks[i]
		}
	}
	return nil
}

func findPartition(inv *Inventory, kname string) *Partition {
	for i := range inv.Disks {
		for j := range inv.Disks[i].PhysicalVolumes {
			if p := &inv.Disks[i].PhysicalVolumes[j]; p.KName == kname {
				return p
			}
		}
	}
	return nil
}
