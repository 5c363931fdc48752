//go:build e2e

package discover

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/e2e/volumes"
)

// lvmReport runs an lvm report command (vgs, lvs) that sees only devs; rows by name.
func lvmReport(t *testing.T, devs []string, cmd, fields string) []map[string]string {
	t.Helper()
	out := volumes.LVM(t, devs, cmd, "--reportformat", "json", "--units", "b", "--nosuffix", "-o", fields)
	var rep struct {
		Report []map[string][]map[string]string `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	key := map[string]string{"vgs": "vg", "lvs": "lv"}[cmd]
	return rep.Report[0][key]
}

func atoi(t *testing.T, s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func discoverJSON(t *testing.T, devices ...string) inventory.Inventory {
	t.Helper()
	stdout, stderr, code := agentRun(t, "discover", "--json", "--devices", strings.Join(devices, ","))
	if code != 0 && code != 3 {
		t.Fatalf("discover exit %d: %s", code, stderr)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(stdout), &inv); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return inv
}

// A VG across two loop devices — a PV on a whole disk and a PV on a GPT partition —
// with a linear LV, a striped one and one spanning both PVs. This kernel has no
// device-mapper: the LVs exist in the metadata only and are inactive.
func TestDiscoverLVM(t *testing.T) {
	requireRoot(t)
	volumes.Require(t, "lvm")
	whole := volumes.MakeLoop(t, 128<<20)
	partDisk := volumes.MakeLoop(t, 256<<20)
	part := volumes.Partition(t, partDisk)
	devs := []string{whole, part}
	vg := volumes.UniqueName("smsatest_")
	volumes.MakeVG(t, vg, devs...)
	volumes.MakeLV(t, devs, "-n", "root", "-L", "40m", vg)
	volumes.MakeLV(t, devs, "-n", "data-1", "-i", "2", "-L", "32m", vg)
	volumes.MakeLV(t, devs, "-n", "big", "-l", "100%FREE", vg)

	recordHost(t, "loop-lvm", whole, partDisk)
	inv := discoverJSON(t, whole, partDisk)
	var got *inventory.VolumeGroup
	for i := range inv.VolumeGroups {
		if inv.VolumeGroups[i].Name == vg {
			if got != nil {
				t.Fatalf("volume group %s listed twice", vg)
			}
			got = &inv.VolumeGroups[i]
		}
	}
	if got == nil {
		t.Fatalf("volume group %s missing: %+v\nwarnings: %v", vg, inv.VolumeGroups, inv.Warnings)
	}
	want := lvmReport(t, devs, "vgs", "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size")[0]
	if got.UUID != want["vg_uuid"] || got.Size != atoi(t, want["vg_size"]) || got.FreeSize != atoi(t, want["vg_free"]) ||
		got.ExtentSize != atoi(t, want["vg_extent_size"]) {
		t.Errorf("VG %+v; vgs says %v", got, want)
	}
	comps := append([]string{}, got.Components...)
	sort.Strings(comps)
	wantComps := append([]string{}, devs...)
	sort.Strings(wantComps)
	if strings.Join(comps, ",") != strings.Join(wantComps, ",") {
		t.Errorf("components %v; want %v", got.Components, wantComps)
	}
	lvs := lvmReport(t, devs, "lvs", "lv_name,lv_uuid,lv_size,lv_path")
	if len(got.LogicalVolumes) != len(lvs) {
		t.Fatalf("%d LVs; lvs shows %d", len(got.LogicalVolumes), len(lvs))
	}
	byName := map[string]inventory.LogicalVolume{}
	for _, lv := range got.LogicalVolumes {
		byName[lv.Name] = lv
	}
	for _, w := range lvs {
		lv, ok := byName[w["lv_name"]]
		if !ok {
			t.Errorf("LV %s missing", w["lv_name"])
			continue
		}
		if lv.UUID != w["lv_uuid"] || lv.Size != atoi(t, w["lv_size"]) || lv.Path != w["lv_path"] || !lv.Migrate || lv.Hidden {
			t.Errorf("LV %+v; lvs says %v", lv, w)
		}
		if lv.Device != "" || lv.MountPoint != "" {
			t.Errorf("LV %s: device %q mount %q; want none (inactive)", lv.Name, lv.Device, lv.MountPoint)
		}
	}
	if k := byName["data-1"].Kind; k != "striped" {
		t.Errorf("data-1 kind %q; want striped", k)
	}
	if dm := byName["data-1"].DMName; dm != vg+"-data--1" {
		t.Errorf("data-1 dm name %q", dm)
	}
	// The PVs: the whole disk and the partition are VOLUME_GROUP.
	for _, d := range inv.Disks {
		switch d.Name {
		case whole:
			if d.DeviceUse != "VOLUME_GROUP" || d.Identity == nil || d.FileSystem != "LVM2_member" || d.PartitionStyle != "" {
				t.Errorf("whole-disk PV %s: %+v %+v", d.Name, d, d.Identity)
			}
		case partDisk:
			if len(d.PhysicalVolumes) != 1 || d.PhysicalVolumes[0].DeviceUse != "VOLUME_GROUP" || d.PhysicalVolumes[0].FileSystem != "LVM2_member" {
				t.Errorf("partition PV on %s: %+v", d.Name, d.PhysicalVolumes)
			}
		}
	}

	// Only one of the two disks named: the VG is still listed whole, with a warning
	// that its data on the other disk would be left behind.
	inv = discoverJSON(t, whole)
	found, warned := false, false
	for _, v := range inv.VolumeGroups {
		found = found || (v.Name == vg && len(v.LogicalVolumes) == len(lvs))
	}
	for _, w := range inv.Warnings {
		warned = warned || (w.Source == "volumes" && strings.Contains(w.Message, `volume group "`+vg+`" lies on `+whole+` and also on `+partDisk))
	}
	if !found || !warned {
		t.Errorf("--devices %s: VG listed %v, warned %v: %+v", whole, found, warned, inv.Warnings)
	}
}

// Two VGs with the same name on two disks (each made while lvm saw only its own
// disk): SMS rejects duplicate VG names, so both are listed, each with its own LV and
// PV, and a warning names the clash.
func TestDiscoverLVMDuplicateVG(t *testing.T) {
	requireRoot(t)
	volumes.Require(t, "lvm")
	a, b := volumes.MakeLoop(t, 64<<20), volumes.MakeLoop(t, 64<<20)
	name := volumes.UniqueName("smsatest_dup_")
	volumes.MakeVG(t, name, a)
	volumes.MakeLV(t, []string{a}, "-n", "one", "-L", "8m", name)
	volumes.MakeVG(t, name, b)
	volumes.MakeLV(t, []string{b}, "-n", "two", "-L", "12m", name)
	uuidOf := func(dev string) string {
		return lvmReport(t, []string{dev}, "vgs", "vg_name,vg_uuid")[0]["vg_uuid"]
	}
	want := map[string]struct{ dev, lv string }{uuidOf(a): {a, "one"}, uuidOf(b): {b, "two"}}

	recordHost(t, "loop-lvm-dupvg", a, b)
	inv := discoverJSON(t, a, b)
	seen := 0
	for _, vg := range inv.VolumeGroups {
		if vg.Name != name {
			continue
		}
		seen++
		w, ok := want[vg.UUID]
		if !ok || strings.Join(vg.Components, ",") != w.dev || len(vg.LogicalVolumes) != 1 || vg.LogicalVolumes[0].Name != w.lv {
			t.Errorf("VG %s (%s): components %v LVs %+v; want %v", vg.Name, vg.UUID, vg.Components, vg.LogicalVolumes, w)
		}
	}
	if seen != 2 {
		t.Errorf("%d VGs named %s; want 2: %+v", seen, name, inv.VolumeGroups)
	}
	warned := false
	for _, w := range inv.Warnings {
		warned = warned || (w.Source == "lvm" && strings.Contains(w.Message, `volume group name "`+name+`" is used by 2 VGs`))
	}
	if !warned {
		t.Errorf("no duplicate-name warning: %+v", inv.Warnings)
	}
}

// A btrfs with subvolumes, a snapshot and a subvolume mounted on its own; a two-device
// raid1 mounted only through a subvolume; an unmounted two-device filesystem.
func TestDiscoverBtrfs(t *testing.T) {
	requireRoot(t)
	volumes.Require(t, "btrfs", "mkfs.btrfs")
	single := volumes.MakeLoop(t, 320<<20)
	uuid := volumes.MkfsBtrfs(t, "single fs", nil, single)
	top := volumes.Mount(t, single, "")
	volumes.Subvolume(t, top, "root")
	volumes.Subvolume(t, top, "home")
	volumes.Subvolume(t, top, "home/nested")
	volumes.Run(t, "btrfs", "-q", "subvolume", "snapshot", "-r", filepath.Join(top, "root"), filepath.Join(top, "root-snap"))
	homeMnt := volumes.Mount(t, single, "subvol=home")
	// A default other than the top level, so that the tree search is seen to answer
	// (its fallback, get-default, is not in captures taken with a working search).
	volumes.Run(t, "btrfs", "subvolume", "set-default", filepath.Join(top, "root"))
	if err := os.WriteFile(filepath.Join(top, "root", "payload"), make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r1, r2 := volumes.MakeLoop(t, 320<<20), volumes.MakeLoop(t, 320<<20)
	raidUUID := volumes.MkfsBtrfs(t, "mirror", []string{"-d", "raid1", "-m", "raid1"}, r1, r2)
	raidTop := volumes.Mount(t, r1, "")
	volumes.Subvolume(t, raidTop, "data")
	if err := os.WriteFile(filepath.Join(raidTop, "data", "payload"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	volumes.Run(t, "umount", raidTop) // (its cleanup's umount then only logs)
	raidMnt := volumes.Mount(t, r1, "subvol=data")
	// A two-device filesystem that is not mounted: only blkid knows it.
	u1, u2 := volumes.MakeLoop(t, 320<<20), volumes.MakeLoop(t, 320<<20)
	offUUID := volumes.MkfsBtrfs(t, "offline", []string{"-d", "raid1", "-m", "raid1"}, u1, u2)
	volumes.Run(t, "sync")

	recordHost(t, "loop-btrfs", single, r1, r2, u1, u2)
	inv := discoverJSON(t, single, r1, r2, u1, u2)
	fss := map[string]inventory.BtrfsFileSystem{}
	for _, b := range inv.BtrfsList {
		fss[b.UUID] = b
	}
	s, ok := fss[uuid]
	if !ok {
		t.Fatalf("btrfs %s missing: %+v\nwarnings %v", uuid, inv.BtrfsList, inv.Warnings)
	}
	if s.Label != "single fs" || !s.Mounted || s.MountPoint != top || strings.Join(s.Devices, ",") != single || s.DataProfile != "single" {
		t.Errorf("single: %+v", s)
	}
	// Subvolumes against btrfs's own listing, parsed here independently.
	list := volumes.Run(t, "btrfs", "subvolume", "list", "-a", "-puq", top)
	if n := len(strings.Split(strings.TrimSpace(list), "\n")); n != len(s.Subvolume) || n != 4 {
		t.Errorf("%d subvolumes; btrfs lists %d (want 4):\n%s", len(s.Subvolume), n, list)
	}
	byName := map[string]inventory.BtrfsSubvolume{}
	for _, sv := range s.Subvolume {
		byName[sv.SubvolName] = sv
		f := strings.Fields(lineWith(list, "uuid "+sv.SubvolUUID+" "))
		if len(f) < 13 || f[1] != sv.SubvolID || f[5] != sv.ParentID {
			t.Errorf("subvolume %+v; btrfs: %v", sv, f)
		}
	}
	if !byName["root-snap"].IsSnapshot || byName["root-snap"].ParentUUID != byName["root"].SubvolUUID || byName["root"].IsSnapshot {
		t.Errorf("snapshot: %+v of %+v", byName["root-snap"], byName["root"])
	}
	if byName["home"].SubvolMountPath != homeMnt || byName["home/nested"].SubvolMountPath != "" {
		t.Errorf("home mounted at %q (want %s), nested at %q", byName["home"].SubvolMountPath, homeMnt, byName["home/nested"].SubvolMountPath)
	}
	// get-default prints "ID 256 gen 9 top level 5 path root".
	def := strings.Fields(volumes.Run(t, "btrfs", "subvolume", "get-default", top))
	if len(def) < 9 || s.DefaultSubvolID != def[1] || s.DefaultSubvolName != def[8] || def[8] != "root" || s.DefaultSubvolMountPath != "" {
		t.Errorf("default %s %q %q; btrfs: %v (root is mounted nowhere)", s.DefaultSubvolID, s.DefaultSubvolName, s.DefaultSubvolMountPath, def)
	}
	if s.NodeSize != 16384 || s.SectorSize != 4096 || s.GlobalReserve1 == "" || s.Size < 2<<20 || s.GVolUsedSize < s.Size {
		t.Errorf("single sizes: %+v", s)
	}

	r, ok := fss[raidUUID]
	if !ok {
		t.Fatalf("raid1 %s missing", raidUUID)
	}
	members := []string{r1, r2}
	sort.Strings(members)
	if strings.Join(r.Devices, ",") != strings.Join(members, ",") || r.DataProfile != "raid1" || r.MetadataProfile != "raid1" || r.MountPoint != raidMnt {
		t.Errorf("raid1: %+v", r)
	}
	// Mounted only through its subvolume: the subvolume list still comes, with the
	// subvolume's mount path; the default (the top level) is mounted nowhere.
	if len(r.Subvolume) != 1 || r.Subvolume[0].SubvolName != "data" || r.Subvolume[0].SubvolMountPath != raidMnt ||
		r.DefaultSubvolID != "5" || r.DefaultSubvolMountPath != "" {
		t.Errorf("raid1 subvolumes %+v, default %s at %q", r.Subvolume, r.DefaultSubvolID, r.DefaultSubvolMountPath)
	}
	// Used space counted once across the two members, equal to statfs of the mount.
	st := statFS(t, raidMnt)
	var used int64
	for _, d := range inv.Disks {
		if d.Name == r1 || d.Name == r2 {
			used += d.UsedSize
			if d.DeviceUse != "BTRFS" || d.MountPoint != raidMnt {
				t.Errorf("raid member %s: use %s mount %q", d.Name, d.DeviceUse, d.MountPoint)
			}
		}
	}
	if want := (st.blocks - st.bfree) * st.frsize; used != want {
		t.Errorf("raid1 members' used sizes add up to %d; statfs says %d", used, want)
	}

	// The unmounted one: one filesystem with both members, from blkid, and a warning.
	o, ok := fss[offUUID]
	offMembers := []string{u1, u2}
	sort.Strings(offMembers)
	if !ok || o.Mounted || o.Label != "offline" || strings.Join(o.Devices, ",") != strings.Join(offMembers, ",") ||
		o.Name != offMembers[0] || len(o.Subvolume) != 0 || o.MountPoint != "" {
		t.Errorf("unmounted btrfs %s: %+v (found %v)", offUUID, o, ok)
	}
	warned := false
	for _, w := range inv.Warnings {
		warned = warned || (w.Source == "btrfs" && strings.Contains(w.Message, offUUID) && strings.Contains(w.Message, "not mounted"))
	}
	if !warned {
		t.Errorf("no warning that %s is not mounted: %+v", offUUID, inv.Warnings)
	}
	for _, d := range inv.Disks {
		if (d.Name == u1 || d.Name == u2) && (d.DeviceUse != "BTRFS" || d.UUID != offUUID || d.MountPoint != "") {
			t.Errorf("unmounted member %s: use %q uuid %q mount %q", d.Name, d.DeviceUse, d.UUID, d.MountPoint)
		}
	}
}

func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
