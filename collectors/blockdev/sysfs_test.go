package blockdev

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

func openSnapshot(t *testing.T, name string) platform.FS {
	t.Helper()
	c := capturetest.Open(t, "../../testdata/hosts/"+name)
	return platform.NewFS(c.Dir)
}

// The ghw snapshot of a Xeon server: sda with /boot/efi, /boot and an LVM PV; dm-0..4
// LVs; sr0; zram0.
func TestReadGhwServer(t *testing.T) {
	fsys := openSnapshot(t, "ghw-linux-amd64-8581cf3a529e5d8b97ea876eade2f60d.tar.gz")
	all, err := List(fsys)
	if err != nil {
		t.Fatal(err)
	}
	devs, errs := ReadNames(fsys, all, true)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	var names []string
	var sda Device
	for _, d := range devs {
		names = append(names, d.KName)
		if d.KName == "sda" {
			sda = d
		}
	}
	if diff := cmp.Diff([]string{"dm-0", "dm-1", "dm-2", "dm-3", "dm-4", "sda", "sr0", "zram0"}, names); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	// Values as in the snapshot's files: size 975699968 sectors; sda1 start 2048 size
	// 262144; sda2 264192/1048576; sda3 1312768/974387167; no queue/*_block_size files.
	want := Device{KName: "sda", Major: 8, Minor: 0, Size: 499558383616, LogicalSectorSize: 512, PhysicalSectorSize: 512,
		Rotational: true, Partitions: []Partition{
			{KName: "sda1", Major: 8, Minor: 1, Number: 1, Start: 1048576, Size: 134217728, Name: "EFI System Partition"},
			{KName: "sda2", Major: 8, Minor: 2, Number: 2, Start: 135266304, Size: 536870912, Name: "Linux filesystem"},
			{KName: "sda3", Major: 8, Minor: 3, Number: 3, Start: 672137216, Size: 498886229504, Name: "Linux LVM"},
		}}
	if diff := cmp.Diff(want, sda, cmpopts.IgnoreFields(Device{}, "Model", "Serial", "WWN", "Holders", "Slaves"), cmpopts.IgnoreFields(Partition{}, "Holders"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sda (-want +got):\n%s", diff)
	}
	if !IsCandidate(sda) {
		t.Error("sda is not a candidate")
	}
	for _, d := range devs {
		if d.KName != "sda" && IsCandidate(d) {
			t.Errorf("%s is a candidate", d.KName)
		}
	}
}

func TestParsers(t *testing.T) {
	if v, err := ParseUint([]byte("2343043072\n")); err != nil || v != 2343043072 {
		t.Errorf("ParseUint = %d, %v", v, err)
	}
	if _, err := ParseUint([]byte("-1\n")); err == nil {
		t.Error("ParseUint(-1): no error")
	}
	if ma, mi, err := ParseDev([]byte("259:12\n")); err != nil || ma != 259 || mi != 12 {
		t.Errorf("ParseDev = %d:%d, %v", ma, mi, err)
	}
	for _, bad := range []string{"8", "8:", ":1", "a:b", "8:1:2"} {
		if _, _, err := ParseDev([]byte(bad)); err == nil {
			t.Errorf("ParseDev(%q): no error", bad)
		}
	}
	// A real partition uevent as this kernel writes it.
	got := ParseUevent([]byte("MAJOR=259\nMINOR=0\nDEVNAME=loop0p1\nDEVTYPE=partition\nDISKSEQ=11\nPARTN=1\nPARTNAME=EFI System\n"))
	if got["PARTN"] != "1" || got["DEVNAME"] != "loop0p1" || got["PARTNAME"] != "EFI System" {
		t.Errorf("ParseUevent = %v", got)
	}
}

func TestLessKName(t *testing.T) {
	in := []string{"sdaa", "sdb", "sda", "nvme0n10", "nvme0n2", "vdb", "vda", "sdz", "loop10", "loop2"}
	want := []string{"loop2", "loop10", "nvme0n2", "nvme0n10", "sda", "sdb", "sdz", "sdaa", "vda", "vdb"}
	got := append([]string(nil), in...)
	sortStrings(got)
	if !cmp.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && LessKName(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func FuzzParseDev(f *testing.F) {
	f.Add([]byte("8:0\n"))
	f.Add([]byte("259:12"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ma, mi, err := ParseDev(b)
		if err == nil {
			if _, _, err2 := ParseDev([]byte(MajMinString(ma, mi))); err2 != nil {
				t.Fatal(err2)
			}
		}
	})
}

// FuzzParseUint: a number is accepted only when the trimmed text is its decimal
// digits (leading zeros aside), and its error stays short whatever the input.
func FuzzParseUint(f *testing.F) {
	f.Add([]byte("2343043072\n"))
	f.Add([]byte("  007 \n"))
	f.Add([]byte("18446744073709551616"))
	f.Add([]byte("+1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseUint(b)
		if err != nil {
			if len(err.Error()) > 250 { // 40 bytes of input, each at most 4 quoted
				t.Fatalf("error of %d bytes: %.200q", len(err.Error()), err)
			}
			return
		}
		digits := strings.TrimLeft(strings.TrimSpace(string(b)), "0")
		if want := strconv.FormatUint(v, 10); digits != want && !(v == 0 && digits == "") {
			t.Fatalf("%q read as %d", b, v)
		}
		if again, err := ParseUint([]byte(strconv.FormatUint(v, 10) + "\n")); err != nil || again != v {
			t.Fatalf("%d written and read back: %d, %v", v, again, err)
		}
	})
}

// FuzzParseUevent: the pairs written back as KEY=VALUE lines read back the same, and
// no key is empty or holds "=" or a newline.
func FuzzParseUevent(f *testing.F) {
	f.Add([]byte("MAJOR=8\nMINOR=1\nDEVNAME=sda1\nDEVTYPE=partition\nPARTN=1\n"))
	f.Add([]byte(" A = b=c \n\n=x\nnoequals\r\nA=again\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := ParseUevent(b)
		var lines []string
		for k, v := range m {
			if k == "" || strings.ContainsAny(k, "=\n") || strings.Contains(v, "\n") {
				t.Fatalf("pair %q=%q", k, v)
			}
			lines = append(lines, k+"="+v)
		}
		sort.Strings(lines)
		if back := ParseUevent([]byte(strings.Join(lines, "\n"))); !reflect.DeepEqual(back, m) {
			t.Fatalf("written back and read again: %q; want %q", back, m)
		}
	})
}

func TestMaybeCandidate(t *testing.T) {
	for k, want := range map[string]bool{
		"sda": true, "sdaa": true, "vdb": true, "xvdf": true, "hdc": true, "nvme0n1": true, "nvme12n3": true, "mmcblk0": true,
		"sda1": false, "nvme0n1p1": false, "mmcblk0p2": false, "mmcblk0boot0": false, "loop0": false, "sr0": false,
		"dm-0": false, "md127": false, "zram0": false, "sd": false, "nvme0": false, "nvmen1": false, "vd1": false, "ram0": false,
	} {
		if got := MaybeCandidate(k); got != want {
			t.Errorf("MaybeCandidate(%q) = %v; want %v", k, got, want)
		}
	}
}

// TestEmptyDeviceNotListed: a device of size 0 is reported with no partitions and its
// directory is not listed (here it holds a partition entry the kernel would never
// show), nor its device number read unless it is read in full (a disk named with
// --devices); a device with a size is listed.
func TestEmptyDeviceNotListed(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"sys/block/loop0/dev": "7:0\n", "sys/block/loop0/size": "0\n",
		"sys/block/loop0/loop0p1/partition": "1\n", "sys/block/loop0/loop0p1/dev": "259:0\n",
		"sys/block/loop0/loop0p1/start": "2048\n", "sys/block/loop0/loop0p1/size": "2048\n",
		"sys/block/loop1/dev": "7:1\n", "sys/block/loop1/size": "8192\n",
		"sys/block/loop1/loop1p1/partition": "1\n", "sys/block/loop1/loop1p1/dev": "259:1\n",
		"sys/block/loop1/loop1p1/start": "2048\n", "sys/block/loop1/loop1p1/size": "2048\n",
	}
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Without loop0/dev: reading it would be an error.
	if err := os.Remove(filepath.Join(root, "sys/block/loop0/dev")); err != nil {
		t.Fatal(err)
	}
	devs, errs := ReadNames(platform.NewFS(root), []string{"loop0", "loop1"}, false)
	if len(errs) != 0 || len(devs) != 2 {
		t.Fatalf("devices %v, errors %v", devs, errs)
	}
	if devs[0].KName != "loop0" || devs[0].Size != 0 || len(devs[0].Partitions) != 0 || devs[0].MajMin() != "0:0" {
		t.Errorf("loop0: %+v; want size 0, no partitions, no device number", devs[0])
	}
	if err := os.WriteFile(filepath.Join(root, "sys/block/loop0/dev"), []byte("7:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	full, errs := ReadNames(platform.NewFS(root), []string{"loop0"}, true)
	if len(errs) != 0 || len(full) != 1 || full[0].MajMin() != "7:0" || full[0].Size != 0 {
		t.Errorf("loop0 read in full: %+v, errors %v; want 7:0 of size 0", full, errs)
	}
	if devs[1].KName != "loop1" || devs[1].Size != 8192*512 || len(devs[1].Partitions) != 1 {
		t.Errorf("loop1: %+v; want 4 MiB and its partition", devs[1])
	}
}
