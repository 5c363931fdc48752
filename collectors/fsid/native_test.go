package fsid

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/collectors/lowprobe"
	"github.com/sms-agent/sms-agent/internal/runnertest"
	"github.com/sms-agent/sms-agent/platform"
)

// fixtureCaptures reads the captures of a lowprobe fixture (../lowprobe/testdata,
// format in its README.md) by device name: the bytes real tools left on real devices.
func fixtureCaptures(t testing.TB, name string) map[string]*lowprobe.Capture {
	c, _ := readFixture(t, name)
	return c
}

// readFixture reads a lowprobe fixture: the captures, and the text blkid printed, by
// device name.
func readFixture(t testing.TB, name string) (map[string]*lowprobe.Capture, map[string]string) {
	t.Helper()
	f, err := os.Open("../lowprobe/testdata/" + name + ".probe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*lowprobe.Capture{}
	blkid := map[string]string{}
	var cur *lowprobe.Capture
	var dev string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", name, s, err)
		}
		return n
	}
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 {
			continue
		}
		switch w[0] {
		case "device":
			cur, dev = &lowprobe.Capture{}, w[1]
			out[dev] = cur
			for _, kv := range w[2:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "kind":
					cur.Kind = v
				case "size":
					cur.Size = num(v)
				case "sector":
					cur.SectorSize = int(num(v))
				}
			}
		case "blkid":
			blkid[dev] += strings.TrimPrefix(sc.Text(), "blkid ") + "\n"
		case "x":
			b, err := hex.DecodeString(w[2])
			if err != nil {
				t.Fatal(err)
			}
			cur.Extents = append(cur.Extents, lowprobe.Extent{Off: num(w[1]), Data: b})
		case "z":
			count, stride := int64(1), int64(0)
			if len(w) == 5 {
				count, stride = num(w[3]), num(w[4])
			}
			for i := int64(0); i < count; i++ {
				cur.Extents = append(cur.Extents, lowprobe.Extent{Off: num(w[1]) + i*stride, Data: make([]byte, num(w[2]))})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range out {
		c.Merge(nil) // sorted, joined
	}
	return out, blkid
}

// replayProber answers NativeProbe with the given records, as a capture does.
func replayProber(t *testing.T, recs map[string]NativeAnswer, errs map[string]error, qs ...NativeQuery) platform.Prober {
	t.Helper()
	var list []platform.ProbeRecord
	for _, q := range qs {
		rec, err := platform.ProbeRecordOf(NativeProbe, q, recs[q.Disk], errs[q.Disk])
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, rec)
	}
	return platform.NewReplay(map[string][]platform.ProbeRecord{NativeProbe.Name: list})
}

// gptDevices are gpt.probe's disk and partitions as discovery names them.
var gptDevices = []Device{
	{KName: "loop0", MajMin: "7:0"},
	{KName: "loop0p1", MajMin: "259:0", Disk: "loop0", Start: 2048, Sectors: 102400},
	{KName: "loop0p2", MajMin: "259:1", Disk: "loop0", Start: 104448, Sectors: 204800},
	{KName: "loop0p3", MajMin: "259:2", Disk: "loop0", Start: 309248, Sectors: 303104},
}

var gptQuery = NativeQuery{Disk: "/dev/loop0", Parts: []NativePart{
	{Path: "/dev/loop0p1", Start: 2048, Size: 102400, DiskDev: "7:0"},
	{Path: "/dev/loop0p2", Start: 104448, Size: 204800, DiskDev: "7:0"},
	{Path: "/dev/loop0p3", Start: 309248, Size: 303104, DiskDev: "7:0"},
}}

func gptAnswer(t testing.TB) NativeAnswer {
	c := fixtureCaptures(t, "gpt")
	return NativeAnswer{Disk: NativeDevice{Capture: c["/dev/loop0"]}, Parts: []NativeDevice{
		{Capture: c["/dev/loop0p1"]}, {Capture: c["/dev/loop0p2"]}, {Capture: c["/dev/loop0p3"]},
	}}
}

// TestIdentifyNative: the prober's answer is used, every field as blkid's (the
// fixture's blkid output), and no process runs.
func TestIdentifyNative(t *testing.T) {
	run := &runnertest.Counting{Inner: platform.NewReplayRunner(nil)}
	probes := replayProber(t, map[string]NativeAnswer{"/dev/loop0": gptAnswer(t)}, nil, gptQuery)
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, probes, gptDevices, time.Second)
	_, blkid := readFixture(t, "gpt")
	want := map[string]Props{}
	for _, text := range blkid {
		for _, blk := range ParseBlkidExport([]byte(text)) {
			p := FromBlkid(blk)
			p.Source = SourceLowprobe
			want[strings.TrimPrefix(blk["DEVNAME"], "/dev/")] = p
		}
	}
	if len(want) != 4 || want["loop0p2"].PartName != "root M-CM-) fs" {
		t.Fatalf("fixture: %+v", want)
	}
	if diff := cmp.Diff(want, res.Props); diff != "" {
		t.Errorf("props (-want +got):\n%s", diff)
	}
	if len(run.Argvs()) != 0 || len(res.Warnings) != 0 || len(res.Denied) != 0 {
		t.Errorf("commands %q, warnings %v, denied %v; want none", run.Argvs(), res.Warnings, res.Denied)
	}
}

// TestIdentifyNativeFallbacks: what the prober cannot answer goes to one blkid process
// with exactly those devices; a denied device is noted as blkid's would be; a device
// that does not answer in time is a warning, not a blkid run.
func TestIdentifyNativeFallbacks(t *testing.T) {
	zfs := fixtureCaptures(t, "zfs")["zfs.img"]
	amb := fixtureCaptures(t, "ambivalent-xfs-ext4")["ambivalent-xfs-ext4.img"]
	swap := fixtureCaptures(t, "swap")
	var swapCap *lowprobe.Capture
	for _, c := range swap {
		swapCap = c
	}
	permission := platform.NewProbeError(&os.PathError{Op: "open", Path: "/dev/sdd", Err: errors.New("permission denied")})
	permission.Kind = platform.KindPermission
	answers := map[string]NativeAnswer{
		"/dev/sda": {Disk: NativeDevice{Capture: zfs}},
		"/dev/sdb": {Disk: NativeDevice{Capture: amb}},
		"/dev/sdc": {Disk: NativeDevice{Zoned: true}},
		"/dev/sdd": {Disk: NativeDevice{Error: permission}},
		"/dev/sdf": {Disk: NativeDevice{CDROM: true}},
		"/dev/sdg": {Disk: NativeDevice{Capture: swapCap}},
	}
	errs := map[string]error{"/dev/sde": fmt.Errorf("%w after 10s", platform.ErrTimeout)}
	var qs []NativeQuery
	var devs []Device
	for i, n := range []string{"sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg"} {
		qs = append(qs, NativeQuery{Disk: "/dev/" + n})
		devs = append(devs, Device{KName: n, MajMin: fmt.Sprintf("8:%d", 16*i)})
	}
	// sdh is in no record (an older capture): blkid answers.
	devs = append(devs, Device{KName: "sdh", MajMin: "8:112"})
	probes := replayProber(t, answers, errs, qs...)
	argv := BlkidArgv([]string{"/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdf", "/dev/sdh"})
	run := &runnertest.Counting{Inner: platform.NewReplayRunner([]platform.RecordedCommand{{Argv: argv,
		Stdout: "DEVNAME=/dev/sda\nTYPE=zfs_member\n\nDEVNAME=/dev/sdc\nTYPE=btrfs\n\nDEVNAME=/dev/sdf\nTYPE=iso9660\n\nDEVNAME=/dev/sdh\nTYPE=ext4\n"}})}
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, probes, devs, time.Second)
	if !cmp.Equal(run.Argvs(), [][]string{argv}) {
		t.Errorf("commands %q; want one: %q", run.Argvs(), argv)
	}
	got := map[string]string{}
	for k, p := range res.Props {
		got[k] = p.Type + " from " + p.Source
	}
	want := map[string]string{"sda": "zfs_member from blkid", "sdc": "btrfs from blkid", "sdf": "iso9660 from blkid",
		"sdg": "swap from lowprobe", "sdh": "ext4 from blkid"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("props (-want +got):\n%s", diff)
	}
	if want := []string{"/dev/sdd: Permission denied"}; !cmp.Equal(res.Denied, want) {
		t.Errorf("denied %q; want %q", res.Denied, want)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), "identify /dev/sde: timed out") || !errors.Is(res.Warnings[0], platform.ErrTimeout) {
		t.Errorf("warnings %v; want /dev/sde timed out", res.Warnings)
	}
}

func TestIdentifyNativeNoProber(t *testing.T) {
	// No prober at all (nil): every device goes to blkid, as before the prober.
	run := &runnertest.Counting{Inner: platform.NewReplayRunner([]platform.RecordedCommand{{Argv: BlkidArgv([]string{"/dev/loop0", "/dev/loop0p1", "/dev/loop0p2", "/dev/loop0p3"}),
		Stdout: string(read(t, "testdata/blkid-gpt.export"))}})}
	res := Identify(context.Background(), platform.NewFS(t.TempDir()), run, nil, gptDevices, time.Second)
	if len(run.Argvs()) != 1 || res.Props["loop0p2"].Type != "ext4" || res.Props["loop0p2"].Source != "blkid" {
		t.Errorf("commands %q, props %+v; want blkid's answer", run.Argvs(), res.Props)
	}
}

// TestIdentifyNativePartitionOfUnknownDisk: a kpartx partition and a partition whose disk
// is not among the devices go to blkid; the prober is not asked about them.
func TestIdentifyNativePartitionOfUnknownDisk(t *testing.T) {
	devs := []Device{
		{KName: "dm-3", MajMin: "254:3", DMUUID: "part1-mpath-3600"},
		{KName: "sdz1", MajMin: "65:145", Disk: "sdz", Start: 2048, Sectors: 100},
	}
	argv := BlkidArgv([]string{"/dev/dm-3", "/dev/sdz1"})
	run := &runnertest.Counting{Inner: platform.NewReplayRunner([]platform.RecordedCommand{{Argv: argv, Stdout: "DEVNAME=/dev/dm-3\nTYPE=xfs\n"}})}
	var asked []NativeQuery
	ask := func(qs []NativeQuery) []platform.Answer[NativeAnswer] {
		asked = append(asked, qs...)
		return make([]platform.Answer[NativeAnswer], len(qs))
	}
	res := Result{Props: map[string]Props{}}
	w := identifyNative(ask, devs, devs, &res)
	if len(asked) != 0 || !w.blkid["/dev/dm-3"] || !w.blkid["/dev/sdz1"] {
		t.Errorf("asked %v, blkid %v; want both left to blkid", asked, w.blkid)
	}
	res = Identify(context.Background(), platform.NewFS(t.TempDir()), run, platform.NewReplay(nil), devs, time.Second)
	if res.Props["dm-3"].Type != "xfs" || len(run.Argvs()) != 1 {
		t.Errorf("props %+v, commands %q", res.Props, run.Argvs())
	}
}

// TestNativeQueryKey: the key of a question is its devices and entry queries, so a
// capture taken before a partition moved does not answer for it.
func TestNativeQueryKey(t *testing.T) {
	rec, err := platform.ProbeRecordOf(NativeProbe, gptQuery, NativeAnswer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"disk":"/dev/loop0","parts":[{"disk_dev":"7:0","path":"/dev/loop0p1","size":102400,"start":2048},` +
		`{"disk_dev":"7:0","path":"/dev/loop0p2","size":204800,"start":104448},{"disk_dev":"7:0","path":"/dev/loop0p3","size":303104,"start":309248}]}`
	if string(rec.Key) != want {
		t.Errorf("key %s\nwant %s", rec.Key, want)
	}
	moved := gptQuery
	moved.Parts = append([]NativePart(nil), gptQuery.Parts...)
	moved.Parts[2].Start++
	probes := platform.NewReplay(map[string][]platform.ProbeRecord{NativeProbe.Name: {rec}})
	if _, err := platform.Ask(context.Background(), probes, NativeProbe, moved); !errors.Is(err, platform.ErrNotRecorded) {
		t.Errorf("moved partition: %v; want not recorded", err)
	}
}

// FuzzNativeAnswer: a recorded question and answer, whatever their bytes, replay
// without a panic, with one answer per partition asked.
func FuzzNativeAnswer(f *testing.F) {
	q, _ := json.Marshal(gptQuery)
	a, _ := json.Marshal(gptAnswer(f))
	f.Add(q, a)
	f.Add([]byte(`{"disk":"/dev/sda"}`), []byte(`{"disk":{"capture":{"size":4096,"sector_size":512,"kind":"disk","extents":[{"off":0,"data":"AAAA"}]}}}`))
	f.Add([]byte(`{"disk":"/dev/sda","parts":[{"path":"/dev/sda1","start":1,"size":1,"disk_dev":"8:0"}]}`),
		[]byte(`{"disk":{"capture":{"size":-1,"kind":"bogus"}},"parts":[{"zoned":true}]}`))
	f.Fuzz(func(t *testing.T, key, answer []byte) {
		var q NativeQuery
		var a NativeAnswer
		if json.Unmarshal(key, &q) != nil || json.Unmarshal(answer, &a) != nil {
			return
		}
		r := replayNative(q, a)
		if len(r.Parts) != len(q.Parts) {
			t.Fatalf("%d partition answers for %d partitions", len(r.Parts), len(q.Parts))
		}
	})
}
