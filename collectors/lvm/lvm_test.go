package lvm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// The cases under testdata/ were recorded by e2e/volumes/record.sh on Debian 12
// (lvm2 2.03.16, kernel 6.18, no device-mapper, so every LV state is "unknown"):
//
//	empty: no PV at all.
//	basic: VG smsatest_2c3b541d on /dev/loop1 (whole device) and /dev/loop2p1 (GPT
//	       partition): root (linear), striped (2 stripes), span (two segments, one per
//	       PV), with-dash, an unattached cache pool cpool with hidden _cdata/_cmeta and
//	       lvol0_pmspare; /dev/loop3 is an orphan PV.
//	types: basic plus smsatest_2c3b541d_types on /dev/loop4, /dev/loop5 (restored with
//	       vgcfgrestore): thin pool + thin1 + thin snapshot, raid1, mirror, a thick
//	       snapshot of lin, a cached LV.
//	dupvg: types plus two VGs named smsatest_2c3b541d_dup (/dev/loop6, /dev/loop7).
func loadCase(t testing.TB, name string) platform.RecordedCommand {
	t.Helper()
	dir := filepath.Join("testdata", name)
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	code, err := strconv.Atoi(strings.TrimSpace(read("exit_code")))
	if err != nil {
		t.Fatal(err)
	}
	return platform.RecordedCommand{
		Argv:     strings.Split(strings.TrimSuffix(read("argv"), "\n"), "\n"),
		Stdout:   read("stdout"),
		Stderr:   read("stderr"),
		ExitCode: code,
	}
}

var cases = []string{"empty", "basic", "types", "dupvg"}

func TestRecordedArgvIsFullReportArgv(t *testing.T) {
	for _, c := range cases {
		if got := loadCase(t, c).Argv; !reflect.DeepEqual(got, FullReportArgv()) {
			t.Errorf("%s: recorded argv %q; FullReportArgv %q", c, got, FullReportArgv())
		}
	}
}

func TestReadReplay(t *testing.T) {
	rc := loadCase(t, "basic")
	rep, res, err := Read(context.Background(), platform.NewReplayRunner([]platform.RecordedCommand{rc}), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.VGs) != 1 || rep.VGs[0].Name != "smsatest_2c3b541d" {
		t.Fatalf("VGs %+v", rep.VGs)
	}
	// lvm printed device-mapper diagnostics on stderr and exited 0: they are kept.
	d := Diagnostics(res.Stderr)
	want := []string{
		"/dev/mapper/control: open failed: No such device",
		"Failure to communicate with kernel device-mapper driver.",
		"Check that device-mapper is available in the kernel.",
		"Incompatible libdevmapper 1.02.185 (2022-05-18) and kernel driver (unknown version).",
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Diagnostics = %q; want %q", d, want)
	}
}

func TestParseEmpty(t *testing.T) {
	rep, err := ParseFullReport([]byte(loadCase(t, "empty").Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.VGs)+len(rep.PVs)+len(rep.LVs) != 0 {
		t.Errorf("got %+v; want nothing", rep)
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseBasic(t *testing.T) {
	rep, err := ParseFullReport([]byte(loadCase(t, "basic").Stdout))
	if err != nil {
		t.Fatal(err)
	}
	wantVG := VG{
		Name: "smsatest_2c3b541d", UUID: "627ON0-JfS4-ZzLn-cfQ6-DLVi-CEn3-fidICi", Attr: "wz--n-",
		Size: 469762048, Free: 192937984, ExtentSize: 4194304, ExtentCount: 112, FreeCount: 46,
		MissingPVs: ptr(int64(0)), PVs: []string{"/dev/loop1", "/dev/loop2p1"},
	}
	if len(rep.VGs) != 1 || !reflect.DeepEqual(rep.VGs[0], wantVG) {
		t.Errorf("VGs = %+v; want %+v", rep.VGs, wantVG)
	}
	wantPVs := []PV{
		{Name: "/dev/loop1", UUID: "zqKdBN-sahU-i0me-4NoZ-fl9x-nukD-pLkK6s", VGName: wantVG.Name, VGUUID: wantVG.UUID,
			Dev: &DevNum{7, 1}, DevSize: 268435456, Size: 264241152, Free: 67108864, Used: 197132288,
			PEStart: 1048576, PECount: 63, PEAlloc: 47, Attr: "a--"},
		{Name: "/dev/loop2p1", UUID: "mUnppI-pQKu-pwbg-LdOq-Q7ii-hD5N-4hw5qT", VGName: wantVG.Name, VGUUID: wantVG.UUID,
			Dev: &DevNum{259, 3}, DevSize: 209715200, Size: 205520896, Free: 125829120, Used: 79691776,
			PEStart: 1048576, PECount: 49, PEAlloc: 19, Attr: "a--"},
		{Name: "/dev/loop3", UUID: "gLECmR-42dw-CSx0-21Hg-96br-Pv6O-aWb72w",
			Dev: &DevNum{7, 3}, DevSize: 67108864, Size: 67108864, Free: 67108864, Used: 0,
			PEStart: 1048576, Attr: "---"},
	}
	if !reflect.DeepEqual(rep.PVs, wantPVs) {
		t.Errorf("PVs =\n%+v\nwant\n%+v", rep.PVs, wantPVs)
	}
	if o := rep.Orphans(); len(o) != 1 || o[0].Name != "/dev/loop3" {
		t.Errorf("Orphans = %+v", o)
	}

	type lvSummary struct {
		Name                           string
		Size                           int64
		Kind                           Kind
		Hidden, Public, Snapshot, Data bool
		Parent, DMName, Path           string
		Segs                           int
		Active                         *bool
	}
	var got []lvSummary
	for _, lv := range rep.LVsOf("smsatest_2c3b541d") {
		if lv.Kernel != nil {
			t.Errorf("%s: Kernel %v; want nil (no device-mapper here)", lv.Name, lv.Kernel)
		}
		got = append(got, lvSummary{lv.Name, lv.Size, lv.Kind, lv.Hidden, lv.Public, lv.Snapshot, lv.DataLV,
			lv.Parent, lv.DMName, lv.Path, len(lv.Segments), lv.Active})
	}
	const vg = "smsatest_2c3b541d"
	want := []lvSummary{
		{"cpool", 12582912, KindCachePool, false, false, false, false, "", vg + "-cpool", "/dev/" + vg + "/cpool", 1, nil},
		{"cpool_cdata", 12582912, KindComponent, true, false, false, false, "cpool", vg + "-cpool_cdata", "", 1, nil},
		{"cpool_cmeta", 8388608, KindComponent, true, false, false, false, "cpool", vg + "-cpool_cmeta", "", 1, nil},
		{"lvol0_pmspare", 8388608, KindComponent, true, false, false, false, "", vg + "-lvol0_pmspare", "", 1, nil},
		{"root", 41943040, KindLinear, false, true, false, true, "", vg + "-root", "/dev/" + vg + "/root", 1, nil},
		{"span", 167772160, KindLinear, false, true, false, true, "", vg + "-span", "/dev/" + vg + "/span", 2, nil},
		{"striped", 33554432, KindStriped, false, true, false, true, "", vg + "-striped", "/dev/" + vg + "/striped", 1, nil},
		{"with-dash", 4194304, KindLinear, false, true, false, true, "", vg + "-with--dash", "/dev/" + vg + "/with-dash", 1, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LVs =\n%+v\nwant\n%+v", got, want)
	}

	byName := map[string]LV{}
	for _, lv := range rep.LVs {
		byName[lv.Name] = lv
	}
	wantSpan := []Segment{
		{Type: "linear", Start: 0, Size: 104857600, Stripes: 1, Devices: []SegDevice{{"/dev/loop1", 14}}},
		{Type: "linear", Start: 104857600, Size: 62914560, Stripes: 1, Devices: []SegDevice{{"/dev/loop2p1", 4}}},
	}
	if s := byName["span"].Segments; !reflect.DeepEqual(s, wantSpan) {
		t.Errorf("span segments = %+v; want %+v", s, wantSpan)
	}
	wantStriped := []Segment{{Type: "striped", Size: 33554432, Stripes: 2, StripeSize: 65536,
		Devices: []SegDevice{{"/dev/loop1", 10}, {"/dev/loop2p1", 0}}}}
	if s := byName["striped"].Segments; !reflect.DeepEqual(s, wantStriped) {
		t.Errorf("striped segments = %+v; want %+v", s, wantStriped)
	}
	if s := byName["cpool"].Segments; len(s) != 1 || s[0].Type != "cache-pool" || !reflect.DeepEqual(s[0].Devices, []SegDevice{{"cpool_cdata", 0}}) {
		t.Errorf("cpool segments = %+v", s)
	}
	// lvm's own dm path agrees with DMName for the name with a dash.
	if !strings.Contains(loadCase(t, "basic").Stdout, `"lv_dm_path":"/dev/mapper/`+byName["with-dash"].DMName+`"`) {
		t.Errorf("lv_dm_path of with-dash is not /dev/mapper/%s", byName["with-dash"].DMName)
	}
	// The PV segments cover every extent of both VG PVs exactly once.
	ext := map[string]int64{}
	for _, s := range rep.PVSegs {
		ext[s.PVUUID] += s.Size
	}
	if ext[wantPVs[0].UUID] != 63 || ext[wantPVs[1].UUID] != 49 {
		t.Errorf("pvseg extents = %v", ext)
	}
	if w := rep.Warnings(); len(w) != 0 {
		t.Errorf("Warnings = %+v; want none", w)
	}
}

func TestParseTypes(t *testing.T) {
	rep, err := ParseFullReport([]byte(loadCase(t, "types").Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.VGs) != 2 || len(rep.PVs) != 5 || len(rep.LVs) != 30 {
		t.Fatalf("got %d VGs, %d PVs, %d LVs; want 2, 5, 30", len(rep.VGs), len(rep.PVs), len(rep.LVs))
	}
	type kindSummary struct {
		Kind                           Kind
		Hidden, Public, Snapshot, Data bool
		Parent, Origin, Pool           string
		Size                           int64
	}
	got := map[string]kindSummary{}
	for _, lv := range rep.LVsOf("smsatest_2c3b541d_types") {
		got[lv.Name] = kindSummary{lv.Kind, lv.Hidden, lv.Public, lv.Snapshot, lv.DataLV, lv.Parent, lv.Origin, lv.Pool, lv.Size}
	}
	want := map[string]kindSummary{
		"pool":          {KindThinPool, false, false, false, false, "", "", "", 41943040},
		"pool_tdata":    {KindComponent, true, false, false, false, "pool", "", "", 41943040},
		"pool_tmeta":    {KindComponent, true, false, false, false, "pool", "", "", 4194304},
		"lvol0_pmspare": {KindComponent, true, false, false, false, "", "", "", 4194304},
		"thin1":         {KindThin, false, true, false, true, "", "", "pool", 104857600},
		"thin1_snap":    {KindThinSnapshot, false, true, true, false, "", "thin1", "pool", 104857600},
		"r1":            {KindRAID, false, true, false, true, "", "", "", 20971520},
		"r1_rimage_0":   {KindComponent, true, false, false, false, "r1", "", "", 20971520},
		"r1_rimage_1":   {KindComponent, true, false, false, false, "r1", "", "", 20971520},
		"r1_rmeta_0":    {KindComponent, true, false, false, false, "r1", "", "", 4194304},
		"r1_rmeta_1":    {KindComponent, true, false, false, false, "r1", "", "", 4194304},
		"mir":           {KindMirror, false, true, false, true, "", "", "", 20971520},
		"mir_mimage_0":  {KindComponent, true, false, false, false, "mir", "", "", 20971520},
		"mir_mimage_1":  {KindComponent, true, false, false, false, "mir", "", "", 20971520},
		"mir_mlog":      {KindComponent, true, false, false, false, "mir", "", "", 4194304},
		"lin":           {KindLinear, false, true, false, true, "", "", "", 41943040},
		"lin_snap":      {KindSnapshot, false, true, true, false, "", "lin", "", 8388608},
		"cached":        {KindCache, false, true, false, true, "", "cached_corig", "cpool", 41943040},
		"cached_corig":  {KindComponent, true, false, false, false, "", "", "", 41943040},
		"cpool":         {KindCachePool, true, false, false, false, "", "", "", 12582912},
		"cpool_cdata":   {KindComponent, true, false, false, false, "cpool", "", "", 12582912},
		"cpool_cmeta":   {KindComponent, true, false, false, false, "cpool", "", "", 4194304},
	}
	if !reflect.DeepEqual(got, want) {
		for n, w := range want {
			if got[n] != w {
				t.Errorf("%s = %+v; want %+v", n, got[n], w)
			}
		}
		for n := range got {
			if _, ok := want[n]; !ok {
				t.Errorf("unexpected LV %s", n)
			}
		}
	}
	for _, lv := range rep.LVsOf("smsatest_2c3b541d_types") {
		if lv.Name != "r1" {
			continue
		}
		want := []Segment{{Type: "raid1", Size: 20971520, Stripes: 2,
			Devices:         []SegDevice{{"r1_rimage_0", 0}, {"r1_rimage_1", 0}},
			MetadataDevices: []SegDevice{{"r1_rmeta_0", 0}, {"r1_rmeta_1", 0}}}}
		if !reflect.DeepEqual(lv.Segments, want) {
			t.Errorf("r1 segments = %+v; want %+v", lv.Segments, want)
		}
	}
}

func TestDuplicateVGNames(t *testing.T) {
	rep, err := ParseFullReport([]byte(loadCase(t, "dupvg").Stdout))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"smsatest_2c3b541d_dup": {
		"sQbxyf-ahed-RG4y-9h3M-lPXf-RR27-yShPlo", "zNgnJn-602f-bv9M-6UcQ-228R-kxq9-Xjl3CK"}}
	if got := rep.DuplicateVGNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("DuplicateVGNames = %v; want %v", got, want)
	}
	if lvs := rep.LVsOf("smsatest_2c3b541d_dup"); len(lvs) != 2 || lvs[0].Name != "two" || lvs[1].Name != "one" {
		t.Errorf("LVsOf(dup) = %+v", lvs)
	}
	if lvs := rep.LVsOfUUID("zNgnJn-602f-bv9M-6UcQ-228R-kxq9-Xjl3CK"); len(lvs) != 1 || lvs[0].Name != "one" || lvs[0].Size != 8388608 {
		t.Errorf("LVsOfUUID = %+v", lvs)
	}
	if pvs := rep.PVsOfUUID("sQbxyf-ahed-RG4y-9h3M-lPXf-RR27-yShPlo"); len(pvs) != 1 || pvs[0].Name != "/dev/loop7" {
		t.Errorf("PVsOfUUID = %+v", pvs)
	}
	w := rep.Warnings()
	if len(w) != 1 || w[0].Code != WarnDuplicateVGName {
		t.Errorf("Warnings = %+v", w)
	}
	// lvm itself warned on stderr and still exited 0.
	rc := loadCase(t, "dupvg")
	if rc.ExitCode != 0 || !strings.Contains(rc.Stderr, "WARNING: VG name smsatest_2c3b541d_dup is used by VGs") {
		t.Errorf("recorded exit %d, stderr %q", rc.ExitCode, rc.Stderr)
	}
}

// activeNested edits the real "basic" report into what a host with device-mapper
// would print (this recording machine has none): LV root active as 254:0, and a VG
// "inner" whose PV is that LV. Synthetic, derived from the real recording.
func activeNested(t testing.TB) []byte {
	var doc map[string][]map[string][]map[string]string
	if err := json.Unmarshal([]byte(loadCase(t, "basic").Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, lv := range doc["report"][0]["lv"] {
		if lv["lv_name"] == "root" {
			lv["lv_kernel_major"], lv["lv_kernel_minor"] = "254", "0"
			lv["lv_active"], lv["lv_attr"] = "active", "-wi-ao----"
		}
		if lv["lv_name"] == "span" {
			lv["lv_attr"] = "-wi-------"
		}
	}
	inner := map[string][]map[string]string{
		"vg": {{"vg_name": "inner", "vg_uuid": "inner-uuid", "vg_size": "37748736", "vg_free": "37748736",
			"vg_extent_size": "4194304", "vg_extent_count": "9", "vg_free_count": "9", "vg_missing_pv_count": "0"}},
		"pv": {{"pv_name": "/dev/mapper/smsatest_2c3b541d-root", "pv_uuid": "inner-pv", "pv_major": "254", "pv_minor": "0",
			"dev_size": "41943040", "pv_size": "37748736", "pv_free": "37748736", "pv_used": "0"}},
	}
	doc["report"] = append(doc["report"], inner)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestActiveAndNested(t *testing.T) {
	rep, err := ParseFullReport(activeNested(t))
	if err != nil {
		t.Fatal(err)
	}
	var root, span LV
	for _, lv := range rep.LVs {
		switch lv.Name {
		case "root":
			root = lv
		case "span":
			span = lv
		}
	}
	if root.Kernel == nil || *root.Kernel != (DevNum{254, 0}) || root.Active == nil || !*root.Active {
		t.Errorf("root Kernel %v Active %v; want 254:0, true", root.Kernel, root.Active)
	}
	if span.Kernel != nil || span.Active == nil || *span.Active {
		t.Errorf("span Kernel %v Active %v; want nil, false", span.Kernel, span.Active)
	}
	n := rep.NestedPVs()
	if len(n) != 1 || n[0].PV.VGName != "inner" || n[0].LV.Name != "root" {
		t.Fatalf("NestedPVs = %+v", n)
	}
	w := rep.Warnings()
	if len(w) != 1 || w[0].Code != WarnNestedPV ||
		w[0].Message != `physical volume /dev/mapper/smsatest_2c3b541d-root of VG "inner" is logical volume smsatest_2c3b541d/root` {
		t.Errorf("Warnings = %+v", w)
	}
}

func TestDMName(t *testing.T) {
	for _, c := range []struct{ vg, lv, want string }{
		{"vg0", "root", "vg0-root"},
		{"my-vg", "lv-1", "my--vg-lv--1"},
		{"a--b", "-x", "a----b---x"},
	} {
		if got := DMName(c.vg, c.lv); got != c.want {
			t.Errorf("DMName(%q, %q) = %q; want %q", c.vg, c.lv, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`not json`,
		`{}`,
		`{"report":[{"vg":[{"vg_name":"a"}]}]}`,
		`{"report":[{"vg":[{"vg_name":"a","vg_size":"x","vg_free":"0","vg_extent_size":"1","vg_extent_count":"1","vg_free_count":"1"}]}]}`,
		`{"report":[{"lv":[{"lv_name":"a","lv_size":"12k"}]}]}`,
		`{"report":[{"seg":[{"seg_start":"0","seg_size":"1","devices":"/dev/a(x)"}]}]}`,
	} {
		if _, err := ParseFullReport([]byte(in)); !errors.Is(err, ErrParse) {
			t.Errorf("ParseFullReport(%q) error = %v; want ErrParse", in, err)
		}
	}
}

func TestParseJSONStdAndOldLVM(t *testing.T) {
	// Numbers as JSON numbers (json_std), and an lvm without lv_layout/lv_role.
	in := `{"report":[{"vg":[{"vg_name":"v","vg_uuid":"u","vg_size":8388608,"vg_free":0,"vg_extent_size":4194304,"vg_extent_count":2,"vg_free_count":0}],
	"pv":[{"pv_name":"/dev/sda2","pv_uuid":"p","pv_size":8388608,"pv_free":0}],
	"lv":[{"lv_name":"lv","lv_uuid":"l","lv_size":8388608.00,"lv_attr":"-wi-a-----","lv_kernel_major":253,"lv_kernel_minor":3},
	      {"lv_name":"[t_tdata]","lv_uuid":"t","lv_size":"4194304B","lv_attr":"Twi-------"}]}]}`
	rep, err := ParseFullReport([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	lv := rep.LVs[0]
	if lv.Size != 8388608 || lv.Kind != KindLinear || !lv.DataLV || lv.Kernel == nil || *lv.Kernel != (DevNum{253, 3}) {
		t.Errorf("lv = %+v", lv)
	}
	if td := rep.LVs[1]; td.Kind != KindComponent || !td.Hidden || td.DataLV || td.Active == nil || *td.Active {
		t.Errorf("tdata = %+v", td)
	}
}

// fakeRunner answers every command with a fixed outcome and remembers the last one.
type fakeRunner struct {
	res  platform.Result
	err  error
	last platform.Command
}

func (f *fakeRunner) Run(_ context.Context, c platform.Command) (platform.Result, error) {
	f.last = c
	return f.res, f.err
}

func TestReadFailures(t *testing.T) {
	basic := loadCase(t, "basic")
	for _, c := range []struct {
		name      string
		res       platform.Result
		err       error
		wantIs    error
		wantMsg   string
		wantRep   bool
		wantStder string
	}{
		{name: "missing-wrapped", res: platform.Result{ExitCode: -1},
			err:    wrap("lvm: %w", platform.ErrToolUnavailable),
			wantIs: platform.ErrToolUnavailable, wantMsg: "run lvm fullreport: lvm is not installed: lvm: tool not available"},
		{name: "timeout", res: platform.Result{ExitCode: -1, Stderr: []byte("  Waiting for lock\n")},
			err:    wrap("run lvm fullreport -a: %w after 30s", platform.ErrTimeout),
			wantIs: platform.ErrTimeout, wantMsg: "run lvm fullreport: lvm did not answer in 30s (waiting for an LVM lock or a hung device?): run lvm fullreport -a: timed out after 30s",
			wantStder: "  Waiting for lock\n"},
		{name: "exit-5", res: platform.Result{ExitCode: 5, Stderr: []byte("  Global lock failed: check global lockspace is started\n")},
			err:       &platform.ExitError{Argv: FullReportArgv(), Code: 5, Stderr: "  Global lock failed: check global lockspace is started\n"},
			wantMsg:   `run lvm fullreport: lvm fullreport -a --reportformat json --units b --nosuffix --config backup{backup=0 archive=0}: exit status 5: "Global lock failed: check global lockspace is started"`,
			wantStder: "  Global lock failed: check global lockspace is started\n"},
		{name: "exit-5-with-report", res: platform.Result{ExitCode: 5, Stdout: []byte(basic.Stdout), Stderr: []byte("  Couldn't find device with uuid x.\n")},
			err:     &platform.ExitError{Argv: FullReportArgv(), Code: 5, Stderr: "  Couldn't find device with uuid x.\n"},
			wantRep: true, wantStder: "  Couldn't find device with uuid x.\n"},
		{name: "garbage", res: platform.Result{Stdout: []byte("  Unknown command fullreport\n")},
			wantIs: ErrParse},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeRunner{res: c.res, err: c.err}
			rep, res, err := Read(context.Background(), f, 30*time.Second)
			if err == nil {
				t.Fatal("no error")
			}
			if c.wantIs != nil && !errors.Is(err, c.wantIs) {
				t.Errorf("error %v; want it to wrap %v", err, c.wantIs)
			}
			if c.wantMsg != "" && err.Error() != c.wantMsg {
				t.Errorf("error %q; want %q", err, c.wantMsg)
			}
			var ee *platform.ExitError
			if c.res.ExitCode > 0 && !errors.As(err, &ee) {
				t.Errorf("error %v does not wrap *platform.ExitError", err)
			}
			if (rep != nil) != c.wantRep {
				t.Errorf("report %v; want one: %v", rep != nil, c.wantRep)
			}
			if string(res.Stderr) != c.wantStder {
				t.Errorf("stderr %q; want %q", res.Stderr, c.wantStder)
			}
			if !reflect.DeepEqual(f.last.Argv, FullReportArgv()) || !reflect.DeepEqual(f.last.Env, []string{"LVM_SUPPRESS_FD_WARNINGS=1"}) || f.last.Timeout != 30*time.Second {
				t.Errorf("ran %+v", f.last)
			}
		})
	}
}

func wrap(format string, err error) error { return &wrapped{format, err} }

type wrapped struct {
	format string
	err    error
}

func (w *wrapped) Error() string { return strings.Replace(w.format, "%w", w.err.Error(), 1) }
func (w *wrapped) Unwrap() error { return w.err }

func TestReadExecMissing(t *testing.T) {
	r := platform.ExecRunner{SearchPath: []string{t.TempDir()}}
	_, _, err := Read(context.Background(), r, time.Second)
	if !errors.Is(err, platform.ErrToolUnavailable) {
		t.Fatalf("error %v; want ErrToolUnavailable", err)
	}
}

func TestReportComplete(t *testing.T) {
	for _, c := range cases {
		out := []byte(loadCase(t, c).Stdout)
		if !ReportComplete(out) {
			t.Errorf("%s: the whole recorded report is not complete", c)
		}
		// Every shorter prefix that ends at a closing brace is incomplete: lvm writes
		// its report in pieces, and a piece may end in '}'.
		trimmed := len(strings.TrimRight(string(out), " \n"))
		for i := range trimmed - 1 {
			if out[i] == '}' && ReportComplete(out[:i+1]) {
				t.Fatalf("%s: prefix of %d bytes (of %d) taken as complete", c, i+1, trimmed)
			}
		}
	}
	for _, s := range []string{"", "\n", "{", `{"report":[]`, `{"report":[]}}`, "}", `{"log": [{"a":"b"},]}`} {
		if ReportComplete([]byte(s)) {
			t.Errorf("ReportComplete(%q) = true", s)
		}
	}
}

// TestInternalDM: the dm devices of a real host with every LV type active (the VM
// capture testdata/hosts/vm-lvm-active, kernel 6.1, lvm 2.03.16), by dm/name and dm/uuid.
func TestInternalDM(t *testing.T) {
	const vg = "LVM-OkO2j9gNKVA5MZ9gKC7Ui8YU78Kg7Rqf"
	for _, tt := range []struct {
		name, uuid string
		internal   bool
	}{
		{"smsvg0-root", vg + "v2L2ITdRwpt8D9HIokeraTxjDnwjc8Mn", false},
		{"smsvg0-root-real", vg + "v2L2ITdRwpt8D9HIokeraTxjDnwjc8Mn-real", true},
		{"smsvg0-rootsnap-cow", vg + "amd77JyJjRftDSc0U2E34NscX8cGiXex-cow", true},
		{"smsvg0-rootsnap", vg + "amd77JyJjRftDSc0U2E34NscX8cGiXex", false},
		{"smsvg0-pool_tmeta", vg + "G9PNiey4NI98K8gFOuKgyEjRpJvULJ3n-tmeta", true},
		{"smsvg0-pool-tpool", vg + "2nibibPCQ7VtGEVKenpKcUo2Ycq8cJNv-tpool", true},
		{"smsvg0-pool", vg + "2nibibPCQ7VtGEVKenpKcUo2Ycq8cJNv-pool", true},
		{"smsvg0-thin1", vg + "3pROguE8rmPIe9BiN7ivG21HegpmrvD9", false},
		{"smsvg0-r1_rmeta_0", vg + "tLFf3gZg3hluS4xBYS09yBB6Y9aItMzL", true},
		{"smsvg0-r1_rimage_1", vg + "3CYe5WCg6CNZXZ3uKMVCgjA3oAXXEkjY", true},
		{"smsvg0-r1", vg + "oS0sJUe4BVd46tnSAgoLrxS3Slyq4y3H", false},
		{"smsvg0-mir_mimage_0", vg + "KolE5z2Nk03ftsInNGq3y013yV0SHzDs", true},
		{"smsvg0-mir", vg + "QVfx1Vb3EyadgNjknVzrPsAyUlFhTEql", false},
		{"smsvg0-cached", vg + "Rfm9fhFU0EpWRG0IiYv6Ll1uA6MMFZz5", false},
		{"smsvg0-cpool_cpool_cdata", vg + "vUe9OnL1dkIajmRiuuiCACfckckQ6HQ4-cdata", true},
		{"smsvg0-cached_corig", vg + "7sCIXhq3I3QaS4oHoebeLrnDVTfUptGe-real", true},
		{"smsluks", "CRYPT-LUKS2-8468685d115c46a395f88dee62a6bf35-smsluks", false},
		// A VG whose name holds a reserved string, and dashes doubled in both parts.
		{"my_rimage_vg-data", vg + "3pROguE8rmPIe9BiN7ivG21HegpmrvD9", false},
		{"a--b-c--d_tdata", vg + "3pROguE8rmPIe9BiN7ivG21HegpmrvD9", true},
		{"a--b-c--d", vg + "3pROguE8rmPIe9BiN7ivG21HegpmrvD9", false},
		{"mpatha", "mpath-3600508b4000156d700012000000b0000", false},
	} {
		if got := InternalDM(tt.name, tt.uuid); got != tt.internal {
			t.Errorf("InternalDM(%q, %q) = %v; want %v", tt.name, tt.uuid, got, tt.internal)
		}
	}
}

// TestReportWatcher: fed the recorded reports in pieces of several sizes (as lvm writes
// them, growing), the watcher agrees with ReportComplete at every point.
func TestReportWatcher(t *testing.T) {
	inputs := []string{`{"a":"}\"{"}`, `{"report":[]} `, `{"x":1}{"y":2}`, "[1]", `{"log": [{"a":"b"},]}`}
	for _, c := range cases {
		inputs = append(inputs, loadCase(t, c).Stdout)
	}
	for _, in := range inputs {
		steps := []int{1, 7, 64, 4096}
		if len(in) > 1000 { // every byte of a recorded report would take seconds
			steps = []int{13, 509, 4096}
		}
		for _, step := range steps {
			w := NewReportWatcher()
			for end := step; ; end += step {
				if end > len(in) {
					end = len(in)
				}
				got, want := w([]byte(in[:end])), ReportComplete([]byte(in[:end]))
				if got != want {
					t.Fatalf("%.40q… in steps of %d, at %d of %d bytes: watcher %v, ReportComplete %v", in, step, end, len(in), got, want)
				}
				if end == len(in) {
					break
				}
			}
		}
	}
	// Output that does not grow from what was seen (another command's) starts over.
	w := NewReportWatcher()
	w([]byte(`{"report":[{"vg":[`))
	if !w([]byte(`{}`)) {
		t.Error("watcher did not start over on a shorter output")
	}
}

// BenchmarkCompleteCheck feeds a large report a line at a time, as lvm writes it, to
// ReportComplete called on every write and to the watcher. The report is the recorded
// "types" one with its LV lines repeated to 2,000 LVs (lvm prints a row per line).
func BenchmarkCompleteCheck(b *testing.B) {
	rec := loadCase(b, "types").Stdout
	var lines []string
	for _, l := range strings.SplitAfter(rec, "\n") {
		lines = append(lines, l)
		if strings.Contains(l, `{"lv_uuid"`) && strings.HasSuffix(l, "},\n") {
			for range 2000 / 40 {
				lines = append(lines, l)
			}
		}
	}
	big := []byte(strings.Join(lines, ""))
	if !ReportComplete(big) {
		b.Fatal("the grown report is not valid JSON")
	}
	b.Logf("report of %d bytes in %d lines", len(big), len(lines))
	for _, c := range []struct {
		name string
		new  func() func([]byte) bool
	}{{"ReportComplete", func() func([]byte) bool { return ReportComplete }}, {"watcher", NewReportWatcher}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				check, n, done := c.new(), 0, false
				for _, l := range lines {
					n += len(l)
					done = check(big[:n])
				}
				if !done {
					b.Fatal("not complete at the end")
				}
			}
		})
	}
}
