package btrfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

// openSysfs unpacks a testdata archive of /sys/fs/btrfs into a temporary root.
func openSysfs(t testing.TB, archive string) platform.FS {
	t.Helper()
	c := capturetest.Open(t, filepath.Join("testdata", archive))
	return platform.NewFS(c.Dir)
}

func i64(v int64) *int64 { return &v }

// Recorded by e2e/volumes/record.sh (kernel 6.18): smsatest_single on /dev/loop1
// (512 MiB, data single, metadata/system dup, 32 MiB of files) and smsatest_raid1 on
// /dev/loop2 + /dev/loop3 (data/metadata/system raid1, 40 MiB of files).
func TestReadSysfsRecorded(t *testing.T) {
	rec := platform.NewFileRecorder()
	got, err := ReadSysfs(openSysfs(t, "sysfs-loop.tar.gz").WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	half := i64(536870912)
	want := []SysFS{{
		UUID: "932c3002-1b3a-4d2b-a5ea-70f526339760", Label: "smsatest_single", NodeSize: 16384, SectorSize: 4096,
		MetadataUUID: "932c3002-1b3a-4d2b-a5ea-70f526339760",
		Devices:      []Device{{Name: "loop1", Size: half, Dev: "7:1"}},
		Data: &Allocation{TotalBytes: 75497472, BytesUsed: 33554432, DiskTotal: i64(75497472), DiskUsed: i64(33554432),
			Profiles: []Profile{{"single", 75497472, 33554432}}},
		Metadata: &Allocation{TotalBytes: 33554432, BytesUsed: 278528, DiskTotal: i64(67108864), DiskUsed: i64(557056),
			Profiles: []Profile{{"dup", 33554432, 278528}}},
		System: &Allocation{TotalBytes: 8388608, BytesUsed: 16384, DiskTotal: i64(16777216), DiskUsed: i64(32768),
			Profiles: []Profile{{"dup", 8388608, 16384}}},
		GlobalRsvSize: i64(5767168), GlobalRsvReserved: i64(5767168),
	}, {
		UUID: "b7d3ff5f-e0d8-4b42-8add-98e4c18c3d8d", Label: "smsatest_raid1", NodeSize: 16384, SectorSize: 4096,
		MetadataUUID: "b7d3ff5f-e0d8-4b42-8add-98e4c18c3d8d",
		Devices:      []Device{{Name: "loop2", Size: half, Dev: "7:2"}, {Name: "loop3", Size: half, Dev: "7:3"}},
		Data: &Allocation{TotalBytes: 67108864, BytesUsed: 41943040, DiskTotal: i64(134217728), DiskUsed: i64(83886080),
			Profiles: []Profile{{"raid1", 67108864, 41943040}}},
		Metadata: &Allocation{TotalBytes: 53673984, BytesUsed: 196608, DiskTotal: i64(107347968), DiskUsed: i64(393216),
			Profiles: []Profile{{"raid1", 53673984, 196608}}},
		System: &Allocation{TotalBytes: 8388608, BytesUsed: 16384, DiskTotal: i64(16777216), DiskUsed: i64(32768),
			Profiles: []Profile{{"raid1", 8388608, 16384}}},
		GlobalRsvSize: i64(5767168), GlobalRsvReserved: i64(5767168),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadSysfs =\n%s\nwant\n%s", dump(got), dump(want))
	}
	if p := got[1].Data.ProfileNames(); p != "raid1" {
		t.Errorf("ProfileNames = %q", p)
	}
}

// The prometheus fixtures: multi-device raid0/raid1 and raid5/raid6 filesystems.
func TestReadSysfsFixtures(t *testing.T) {
	for _, c := range []struct {
		archive  string
		raid5Dev *int64 // size of the raid5 filesystem's devices
	}{
		{"node_exporter/sysfs.tar.gz", i64(20971520 * 512)},
		{"procfs/sysfs.tar.gz", nil}, // devices/loopN are plain files there
	} {
		t.Run(c.archive, func(t *testing.T) {
			got, err := ReadSysfs(openSysfs(t, c.archive))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("got %d filesystems", len(got))
			}
			a, b := got[0], got[1]
			if a.UUID != "0abb23a9-579b-43e6-ad30-227ef47fcb9d" || a.Label != "fixture" || a.NodeSize != 16384 || a.SectorSize != 4096 {
				t.Errorf("first = %+v", a)
			}
			if p := [3]string{a.Data.ProfileNames(), a.Metadata.ProfileNames(), a.System.ProfileNames()}; p != [3]string{"raid0", "raid1", "raid1"} {
				t.Errorf("profiles %v", p)
			}
			if a.Data.TotalBytes != 2147483648 || a.Data.BytesUsed != 808189952 || *a.Data.DiskUsed != 808189952 ||
				a.Metadata.Profiles[0] != (Profile{"raid1", 1073741824, 933888}) || *a.GlobalRsvSize != 16777216 {
				t.Errorf("first allocation %+v %+v", a.Data, a.Metadata)
			}
			if len(a.Devices) != 2 || a.Devices[0].Name != "loop25" || a.Devices[1].Name != "loop26" ||
				a.Devices[0].Size == nil || *a.Devices[0].Size != 20971520*512 || a.Devices[0].Dev != "" {
				t.Errorf("first devices %+v", a.Devices)
			}
			if b.Label != "" || b.Data.ProfileNames() != "raid5" || b.Metadata.ProfileNames() != "raid6" || b.System.ProfileNames() != "raid6" {
				t.Errorf("second = %+v", b)
			}
			if len(b.Devices) != 4 || b.Devices[3].Name != "loop25" || !reflect.DeepEqual(b.Devices[0].Size, c.raid5Dev) {
				t.Errorf("second devices %s", dump(b.Devices))
			}
			if b.Mixed != nil {
				t.Errorf("mixed %+v", b.Mixed)
			}
		})
	}
}

func TestReadSysfsErrors(t *testing.T) {
	if _, err := ReadSysfs(platform.NewFS(t.TempDir())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no /sys/fs/btrfs: error %v; want ErrNotExist", err)
	}
	root := t.TempDir()
	good := filepath.Join(root, "sys/fs/btrfs/good")
	bad := filepath.Join(root, "sys/fs/btrfs/bad")
	for _, f := range []struct{ p, v string }{
		{good + "/label", "\n"}, {good + "/nodesize", "16384\n"}, {good + "/sectorsize", "4096\n"},
		{bad + "/label", "x\n"}, {bad + "/nodesize", "big\n"}, {bad + "/sectorsize", "4096\n"},
	} {
		if err := os.MkdirAll(filepath.Dir(f.p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.p, []byte(f.v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{good + "/devices", bad + "/devices", root + "/sys/fs/btrfs/features"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadSysfs(platform.NewFS(root))
	if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), "read btrfs bad: read /sys/fs/btrfs/bad/nodesize") {
		t.Errorf("error %v", err)
	}
	if len(got) != 1 || got[0].UUID != "good" || got[0].Label != "" || got[0].Data != nil || got[0].GlobalRsvSize != nil {
		t.Errorf("got %s", dump(got))
	}
}

// loadCmd reads testdata/<dir>/{argv,stdout,stderr,exit_code}.
func loadCmd(t testing.TB, dir string) platform.RecordedCommand {
	t.Helper()
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join("testdata", dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	code, err := strconv.Atoi(strings.TrimSpace(read("exit_code")))
	if err != nil {
		t.Fatal(err)
	}
	return platform.RecordedCommand{Argv: strings.Split(strings.TrimSuffix(read("argv"), "\n"), "\n"),
		Stdout: read("stdout"), Stderr: read("stderr"), ExitCode: code}
}

var mountCases = []string{"single", "single-subvol-mount", "raid1"}

func loadMount(t testing.TB, c string) (mnt string, cmds []platform.RecordedCommand) {
	for _, f := range []string{"subvolume-list", "get-default"} {
		cmds = append(cmds, loadCmd(t, c+"/"+f))
	}
	argv := cmds[0].Argv
	return argv[len(argv)-1], cmds
}

func TestRecordedArgv(t *testing.T) {
	for _, c := range mountCases {
		mnt, cmds := loadMount(t, c)
		for i, want := range [][]string{SubvolumeListArgv(mnt), GetDefaultArgv(mnt)} {
			if !reflect.DeepEqual(cmds[i].Argv, want) {
				t.Errorf("%s: recorded %q; builder %q", c, cmds[i].Argv, want)
			}
		}
	}
}

func TestReadMountedSingle(t *testing.T) {
	mnt, cmds := loadMount(t, "single")
	m, err := ReadMounted(context.Background(), platform.NewReplayRunner(cmds), nil, mnt, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	const (
		root = "fcf837ff-d0fe-d04d-9a7e-137b502bdc61"
		home = "b1fc676b-7771-664a-bf0a-0fc9c34a7ffb"
	)
	want := []Subvolume{
		{ID: 256, Gen: 7, Parent: 5, TopLevel: 5, UUID: root, Path: "root"},
		{ID: 257, Gen: 8, Parent: 5, TopLevel: 5, UUID: home, Path: "home"},
		{ID: 258, Gen: 9, Parent: 257, TopLevel: 257, UUID: "84af9bd1-06b9-a44c-bcbf-c54c6527ea66", Path: "home/nested", OutsideMount: true},
		{ID: 259, Gen: 7, Parent: 5, TopLevel: 5, UUID: "cbc794da-581f-4a48-a6cf-ccf596575141", Path: "data"},
		{ID: 260, Gen: 7, Parent: 5, TopLevel: 5, ParentUUID: root, UUID: "9067574d-8fb6-c343-bf28-e0ab879fa1bf", Path: "snapshots/root-ro", IsSnapshot: true},
		{ID: 261, Gen: 8, Parent: 5, TopLevel: 5, ParentUUID: home, UUID: "0e503de7-1812-de41-8ad7-6b452f941ffd", Path: "home-snap", IsSnapshot: true},
	}
	if !reflect.DeepEqual(m.Subvolumes, want) {
		t.Errorf("Subvolumes =\n%s\nwant\n%s", dump(m.Subvolumes), dump(want))
	}
	if n := m.Subvolumes[4].Name(); n != "root-ro" {
		t.Errorf("Name = %q", n)
	}
	gen, top := uint64(7), uint64(5)
	if d := m.Default; !reflect.DeepEqual(d, &DefaultSubvolume{ID: 256, Gen: &gen, Parent: &top, Path: "root"}) {
		t.Errorf("Default = %s", dump(d))
	}
}

// Mounted with subvol=home: -a prints <FS_TREE>/ for everything outside home.
func TestReadMountedSubvolMount(t *testing.T) {
	mnt, cmds := loadMount(t, "single-subvol-mount")
	m, err := ReadMounted(context.Background(), platform.NewReplayRunner(cmds), nil, mnt, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var outside []bool
	for _, s := range m.Subvolumes {
		paths = append(paths, s.Path)
		outside = append(outside, s.OutsideMount)
	}
	if want := []string{"root", "home", "home/nested", "data", "snapshots/root-ro", "home-snap"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %q; want %q", paths, want)
	}
	if want := []bool{true, true, false, true, true, true}; !reflect.DeepEqual(outside, want) {
		t.Errorf("OutsideMount %v; want %v", outside, want)
	}
	if m.Default.ID != 256 {
		t.Errorf("default %+v", m.Default)
	}
}

func TestReadMountedRAID1(t *testing.T) {
	mnt, cmds := loadMount(t, "raid1")
	m, err := ReadMounted(context.Background(), platform.NewReplayRunner(cmds), nil, mnt, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Subvolume{{ID: 256, Gen: 7, Parent: 5, TopLevel: 5, UUID: "461f035f-5bab-9344-8e63-4c3fd83e4a88", Path: "vol"}}; !reflect.DeepEqual(m.Subvolumes, want) {
		t.Errorf("Subvolumes = %s", dump(m.Subvolumes))
	}
	if !reflect.DeepEqual(m.Default, &DefaultSubvolume{ID: 5, TopLevel: true}) {
		t.Errorf("Default = %s", dump(m.Default))
	}
}

type fakeRunner struct {
	out  map[string]platform.Result
	errs map[string]error
	ran  []platform.Command
}

func (f *fakeRunner) Run(_ context.Context, c platform.Command) (platform.Result, error) {
	f.ran = append(f.ran, c)
	k := strings.Join(c.Argv[:3], " ")
	return f.out[k], f.errs[k]
}

// TestReadMountedPartial: the list failing (not root) leaves the default, from
// get-default, intact; the list timing out leaves the default unasked.
func TestReadMountedPartial(t *testing.T) {
	_, cmds := loadMount(t, "single")
	denied := "ERROR: can't perform the search: Operation not permitted\n"
	f := &fakeRunner{
		out: map[string]platform.Result{
			"btrfs subvolume list":        {ExitCode: 1, Stderr: []byte(denied)},
			"btrfs subvolume get-default": {Stdout: []byte(cmds[1].Stdout)},
		},
		errs: map[string]error{
			"btrfs subvolume list": &platform.ExitError{Argv: SubvolumeListArgv("/mnt"), Code: 1, Stderr: denied},
		},
	}
	m, err := ReadMounted(context.Background(), f, nil, "/mnt", 5*time.Second)
	var ee *platform.ExitError
	if !errors.As(err, &ee) || !errors.As(m.ListErr, &ee) || m.Subvolumes != nil || !strings.Contains(string(m.ListResult.Stderr), "Operation not permitted") {
		t.Errorf("list: %v %v (joined %v)", m.ListErr, m.Subvolumes, err)
	}
	if m.DefaultErr != nil || m.Default == nil || m.Default.Path != "root" {
		t.Errorf("default: %v %+v", m.DefaultErr, m.Default)
	}
	if len(f.ran) != 2 || f.ran[0].Timeout != 5*time.Second {
		t.Errorf("ran %+v", f.ran)
	}

	f = &fakeRunner{errs: map[string]error{"btrfs subvolume list": fmt.Errorf("run: %w", platform.ErrTimeout)}}
	m, err = ReadMounted(context.Background(), f, nil, "/mnt", 5*time.Second)
	if !errors.Is(err, platform.ErrTimeout) || !strings.HasPrefix(m.ListErr.Error(), "run btrfs subvolume list /mnt: no answer in 5s") ||
		m.Default != nil || m.DefaultErr == nil || len(f.ran) != 1 {
		t.Errorf("timed-out list: %v; default %+v %v; ran %d", err, m.Default, m.DefaultErr, len(f.ran))
	}
}

// TestReadMountedSearch: with a tree search that answers (a real answer recorded here:
// default 256), the default comes from it, its path from the list, and get-default
// never runs (the replay holds only the list).
func TestReadMountedSearch(t *testing.T) {
	mnt, cmds := loadMount(t, "single")
	o := loadSearch(t, "at")
	o.Mount = mnt
	run := platform.NewReplayRunner(cmds[:1])
	m, err := ReadMounted(context.Background(), run, platform.NewReplayBtrfsSearch([]platform.BtrfsSearchOutcome{o}), mnt, time.Second)
	if err != nil || m.Default == nil || m.Default.ID != 256 || m.Default.Path != "root" || m.Default.TopLevel {
		t.Errorf("default %+v, %v", m.Default, err)
	}
}

func TestReadMountedNoTool(t *testing.T) {
	m, err := ReadMounted(context.Background(), platform.ExecRunner{SearchPath: []string{t.TempDir()}}, nil, "/mnt", time.Second)
	if !errors.Is(err, platform.ErrToolUnavailable) || !errors.Is(m.ListErr, platform.ErrToolUnavailable) ||
		!strings.Contains(m.DefaultErr.Error(), "btrfs-progs is not installed") {
		t.Errorf("error %v", err)
	}
}

func TestParseSubvolumeListVariants(t *testing.T) {
	// Other flag sets add columns; paths may hold spaces.
	in := "ID 256 gen 10 cgen 6 parent 5 top level 5 otime 2024-01-02 03:04:05 parent_uuid - received_uuid - uuid a-b path my dir/sub vol\n" +
		"ID 257 gen 11 top level 5 path @snap\n"
	got, err := ParseSubvolumeList([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Subvolume{
		{ID: 256, Gen: 10, Parent: 5, TopLevel: 5, UUID: "a-b", Path: "my dir/sub vol"},
		{ID: 257, Gen: 11, Parent: 5, TopLevel: 5, Path: "@snap"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s", dump(got))
	}
	for _, bad := range []string{"ID x gen 1 top level 5 path a", "gen 1 top level 5 path a", "ID 1 gen 2"} {
		if _, err := ParseSubvolumeList([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("%q: error %v; want ErrParse", bad, err)
		}
	}
}

func TestParseGetDefaultErrors(t *testing.T) {
	if _, err := ParseGetDefault([]byte("ID x (FS_TREE)")); !errors.Is(err, ErrParse) {
		t.Errorf("get-default: %v", err)
	}
}

func dump(v any) string {
	b := strings.Builder{}
	dumpTo(&b, reflect.ValueOf(v))
	return b.String()
}

func dumpTo(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		dumpTo(b, v.Elem())
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			dumpTo(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Struct:
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(v.Type().Field(i).Name + ":")
			dumpTo(b, v.Field(i))
		}
		b.WriteString("}")
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpTo(b, v.Elem())
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}
