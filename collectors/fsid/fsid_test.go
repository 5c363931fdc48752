package fsid

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sms-agent/sms-agent/platform"
)

func read(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBlkidExport(t *testing.T) {
	tests := []struct {
		file string
		want map[string]Props // by DEVNAME, the fields checked
	}{
		{"testdata/blkid-gpt.export", map[string]Props{
			"/dev/loop0":   {PTType: "gpt", PTUUID: "ab6fd283-8d38-404a-b4b5-aa4d16492001", Source: "blkid"},
			"/dev/loop0p1": {Type: "vfat", UUID: "0538-8FDE", PartScheme: "gpt", PartType: "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", PartUUID: "a8510747-91fb-3848-bc1a-b00166583e77", PartName: "EFI System", PartSize: 102400 * 512, Source: "blkid"},
			"/dev/loop0p2": {Type: "ext4", UUID: "846de1bf-7207-4738-80c2-732508331f43", Label: "my root", PartScheme: "gpt", PartType: "0fc63daf-8483-4772-8e79-3d69d8477de4", PartUUID: "36e0d292-30f8-0d40-99c5-626266b066b5", PartSize: 122880 * 512, Source: "blkid"},
			"/dev/loop0p3": {Type: "swap", UUID: "6525d92d-888d-4915-9e97-c2a538d4f46b", PartScheme: "gpt", PartType: "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", PartUUID: "18f501c6-714b-0f43-aac2-fcd5b67de632", PartSize: 180224 * 512, Source: "blkid"},
		}},
		{"testdata/blkid-mbr.export", map[string]Props{
			"/dev/loop1":   {PTType: "dos", PTUUID: "b05b22d0", Source: "blkid"},
			"/dev/loop1p1": {Type: "xfs", UUID: "c0235e34-86e5-406c-8884-3c9ed9f98d18", Label: "data q", PartScheme: "dos", PartType: "0x83", PartUUID: "b05b22d0-01", PartSize: 819200 * 512, Source: "blkid"},
			"/dev/loop1p2": {Type: "LVM2_member", UUID: "5Bf32C-k6i7-hwDr-89tg-2LUV-eufy-2AclPI", PartScheme: "dos", PartType: "0x8e", PartUUID: "b05b22d0-02", PartSize: 204800 * 512, Source: "blkid"},
			"/dev/loop1p3": {Type: "vfat", UUID: "14AB-10AA", Label: "ESP", PartScheme: "dos", PartType: "0xef", PartUUID: "b05b22d0-03", PartSize: 1071104 * 512, Source: "blkid"},
		}},
		// An extended partition (2) with two logical ones (5, 6): its entry spans them
		// (284672 sectors) where sysfs shows 2 sectors; p6 holds nothing.
		{"testdata/blkid-mbr-extended.export", map[string]Props{
			"/dev/loop0":   {PTType: "dos", PTUUID: "86d1aa9b", Source: "blkid"},
			"/dev/loop0p1": {Type: "ext4", UUID: "8f080ac7-3a27-48ed-9c32-e8aa358b90fd", Label: "prim", PartScheme: "dos", PartType: "0x83", PartUUID: "86d1aa9b-01", PartSize: 122880 * 512, Source: "blkid"},
			"/dev/loop0p2": {PTType: "dos", PartScheme: "dos", PartType: "0x5", PartUUID: "86d1aa9b-02", PartSize: 284672 * 512, Source: "blkid"},
			"/dev/loop0p5": {Type: "ext4", UUID: "b6775a26-34d2-450a-971d-59cbb9b8f331", Label: "logical5", PartScheme: "dos", PartType: "0x83", PartUUID: "86d1aa9b-05", PartSize: 81920 * 512, Source: "blkid"},
			"/dev/loop0p6": {PartScheme: "dos", PartType: "0x83", PartUUID: "86d1aa9b-06", PartSize: 198656 * 512, Source: "blkid"},
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got := map[string]Props{}
			for _, blk := range ParseBlkidExport(read(t, tt.file)) {
				got[blk["DEVNAME"]] = FromBlkid(blk)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUdevData(t *testing.T) {
	dir := unpackUdev(t)
	tests := []struct {
		file string
		want Props
		link string
	}{
		// LVM PV on a whole SATA disk.
		{"b8:0", Props{Type: "LVM2_member", UUID: "cVVv6j-HSA2-IY33-1Jmj-dO2H-YL7w-b4Oxqw", Serial: "2160A0D5FVGG", Model: "TOSHIBA_KSDB4U86", Source: "udev"}, ""},
		// An LVM logical volume (swap) seen through device-mapper.
		{"b252:1", Props{Type: "swap", UUID: "5272bb60-04b5-49cd-b730-be57c7604450", Source: "udev"}, "mapper/system-swap_1"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := ParseUdevData(read(t, filepath.Join(dir, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			got := FromUdev(r)
			got.WWN = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.link != "" && !contains(r.Symlinks, tt.link) {
				t.Errorf("symlinks %v lack %s", r.Symlinks, tt.link)
			}
		})
	}
	if _, err := ParseUdevData([]byte("not a record\nat all")); err == nil {
		t.Error("ParseUdevData(garbage): no error")
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// unpackUdev extracts node_exporter's udev database fixture; returns its data directory.
func unpackUdev(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open("../../testdata/upstream/node_exporter/udev-data.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(dst, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "run/udev/data")
}

// TestIdentifyDeniedDeviceRetries replays what blkid really does when one device cannot
// be opened: it prints the devices before it and stops; Identify probes the rest again.
func TestIdentifyDeniedDeviceRetries(t *testing.T) {
	code, _ := strconv.Atoi(strings.TrimSpace(string(read(t, "testdata/blkid-denied.exit"))))
	run := platform.NewReplayRunner([]platform.RecordedCommand{
		{Argv: BlkidArgv([]string{"/dev/loop0p1", "/dev/vda", "/dev/loop0p2"}),
			Stdout: string(read(t, "testdata/blkid-denied.stdout")), Stderr: string(read(t, "testdata/blkid-denied.stderr")), ExitCode: code},
		{Argv: BlkidArgv([]string{"/dev/loop0p2"}), Stdout: string(read(t, "testdata/blkid-denied-retry.stdout"))},
	})
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, nil,
		[]Device{{KName: "loop0p1", MajMin: "259:0"}, {KName: "vda", MajMin: "254:0"}, {KName: "loop0p2", MajMin: "259:1"}}, time.Second)
	if got := res.Props["loop0p1"].Type; got != "vfat" {
		t.Errorf("loop0p1 type %q; want vfat", got)
	}
	if got := res.Props["loop0p2"].UUID; got != "846de1bf-7207-4738-80c2-732508331f43" {
		t.Errorf("loop0p2 uuid %q; want the ext4's", got)
	}
	if want := []string{"/dev/vda: Operation not permitted"}; !cmp.Equal(res.Denied, want) {
		t.Errorf("Denied = %q; want %q", res.Denied, want)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %v", res.Warnings)
	}
}

// TestIdentifyBlankDeviceRetries replays what blkid -p really does at a device with no
// signature at all: it stops there, exit 2, silent; Identify probes the rest again.
func TestIdentifyBlankDeviceRetries(t *testing.T) {
	exit := func(name string) int {
		code, err := strconv.Atoi(strings.TrimSpace(string(read(t, "testdata/"+name+".exit"))))
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	run := platform.NewReplayRunner([]platform.RecordedCommand{
		{Argv: BlkidArgv([]string{"/dev/loop2", "/dev/loop3", "/dev/loop4", "/dev/loop5"}),
			Stdout: string(read(t, "testdata/blkid-blank.stdout")), ExitCode: exit("blkid-blank")},
		{Argv: BlkidArgv([]string{"/dev/loop4", "/dev/loop5"}),
			Stdout: string(read(t, "testdata/blkid-blank-retry.stdout")), ExitCode: exit("blkid-blank-retry")},
	})
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, nil,
		[]Device{{KName: "loop2", MajMin: "7:2"}, {KName: "loop3", MajMin: "7:3"}, {KName: "loop4", MajMin: "7:4"}, {KName: "loop5", MajMin: "7:5"}}, time.Second)
	if p := res.Props["loop2"]; p.Type != "ext4" || p.Label != "first" {
		t.Errorf("loop2 %+v; want ext4 labelled first", p)
	}
	if p := res.Props["loop4"]; p.Type != "vfat" || p.Label != "THIRD" || p.UUID != "D850-4161" {
		t.Errorf("loop4 %+v; want the vfat found by the retry", p)
	}
	_, blank3 := res.Props["loop3"]
	_, blank5 := res.Props["loop5"]
	if blank3 || blank5 || len(res.Warnings) != 0 || len(res.Denied) != 0 {
		t.Errorf("got %+v; want only loop2 and loop4, no warnings", res)
	}
}

func TestIdentifyNothingFound(t *testing.T) {
	// blkid exits 2 without a message when no device carries a known signature.
	run := platform.NewReplayRunner([]platform.RecordedCommand{{Argv: BlkidArgv([]string{"/dev/loop5"}), ExitCode: 2}})
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, nil, []Device{{KName: "loop5", MajMin: "7:5"}}, time.Second)
	if len(res.Props) != 0 || len(res.Warnings) != 0 || len(res.Denied) != 0 {
		t.Errorf("got %+v; want nothing", res)
	}
}

func FuzzParseBlkidExport(f *testing.F) {
	f.Add(read(f, "testdata/blkid-gpt.export"))
	f.Add(read(f, "testdata/blkid-mbr.export"))
	f.Add(read(f, "testdata/blkid-mbr-extended.export"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, blk := range ParseBlkidExport(b) {
			if len(blk) == 0 {
				t.Fatal("empty block")
			}
			if p := FromBlkid(blk); p.PartSize < 0 || p.PartSize%512 != 0 {
				t.Fatalf("PART_ENTRY_SIZE %q gave %d bytes", blk["PART_ENTRY_SIZE"], p.PartSize)
			}
		}
	})
}

func FuzzParseUdevData(f *testing.F) {
	f.Add([]byte("S:disk/by-uuid/x\nE:ID_FS_TYPE=ext4\nE:ID_FS_UUID=x\nG:systemd\n"))
	f.Add([]byte("E:ID_PART_TABLE_TYPE=gpt\nE:ID_PART_ENTRY_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n"))
	f.Add([]byte("E:=empty key\nE:K=v=w\nS:\nX\nI:1\nE:noequals\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseUdevData(b)
		if err != nil {
			return
		}
		_ = FromUdev(r)
		// The record written back as E: and S: lines reads back the same.
		var w strings.Builder
		keys := make([]string, 0, len(r.Env))
		for k := range r.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.WriteString("E:" + k + "=" + r.Env[k] + "\n")
		}
		for _, s := range r.Symlinks {
			w.WriteString("S:" + s + "\n")
		}
		back, err := ParseUdevData([]byte(w.String()))
		if err != nil || !cmp.Equal(back, r, cmpopts.EquateEmpty()) {
			t.Fatalf("written back as %q and read again: %+v, %v; want %+v", w.String(), back, err, r)
		}
	})
}

func TestBlkidError(t *testing.T) {
	dev, why, ok := blkidError(string(read(t, "testdata/blkid-denied.stderr")))
	if !ok || dev != "/dev/vda" || why != "Operation not permitted" {
		t.Errorf("got %q %q %v", dev, why, ok)
	}
	if _, _, ok := blkidError("something else\n"); ok {
		t.Error("matched a line that is not blkid's error")
	}
}

func FuzzBlkidError(f *testing.F) {
	f.Add("blkid: error: /dev/vda: Operation not permitted")
	f.Fuzz(func(t *testing.T, s string) {
		if dev, _, ok := blkidError(s); ok && !strings.HasPrefix(dev, "/dev/") {
			t.Fatalf("device %q", dev)
		}
	})
}
