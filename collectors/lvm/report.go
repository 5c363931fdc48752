package lvm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Report is everything one `lvm fullreport` printed. Sizes are bytes.
type Report struct {
	VGs    []VG
	PVs    []PV    // every PV, orphans (VGUUID "") included
	LVs    []LV    // every LV of every VG, hidden sub-LVs included
	PVSegs []PVSeg // which extents of which PV belong to which LV
}

// VG is a volume group (lvm's vg_* fields).
type VG struct {
	Name        string
	UUID        string
	Attr        string // vg_attr, e.g. "wz--n-"
	Size        int64  // vg_size
	Free        int64  // vg_free
	ExtentSize  int64  // vg_extent_size
	ExtentCount int64  // vg_extent_count
	FreeCount   int64  // vg_free_count
	// MissingPVs is vg_missing_pv_count; nil when lvm did not report it.
	MissingPVs *int64
	SystemID   string // vg_systemid ("" when none)
	Exported   bool   // vg_exported
	Partial    bool   // vg_partial: some PVs are missing
	Shared     bool   // vg_shared (lvmlockd) or vg_clustered
	Tags       []string
	PVs        []string // member PV device names (pv_name), in report order
}

// PV is a physical volume (pv_* fields).
type PV struct {
	Name   string // pv_name: the device, e.g. /dev/sda2
	UUID   string
	VGName string // "" for an orphan PV
	VGUUID string
	// Dev is the device's kernel number (pv_major:pv_minor); nil when not reported.
	Dev        *DevNum
	DevSize    int64 // dev_size: size of the underlying device
	Size       int64 // pv_size
	Free       int64 // pv_free
	Used       int64 // pv_used
	PEStart    int64 // pe_start: offset of the first extent
	PECount    int64 // pv_pe_count
	PEAlloc    int64 // pv_pe_alloc_count
	Attr       string
	Missing    bool // pv_missing
	Duplicate  bool // pv_duplicate: the same PV UUID seen on another device
	Tags       []string
	DeviceID   string // pv_device_id (devices file), "" when none
	DeviceType string // pv_device_id_type
}

// DevNum is a kernel device number.
type DevNum struct{ Major, Minor uint32 }

func (d DevNum) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Kind says what an LV is, from lv_layout and lv_role (lv_attr on old lvm).
type Kind string

// LV kinds. Component covers every hidden sub-LV (raid/mirror images and metadata,
// pool data/metadata, the pool spare, a cache origin, mirror logs).
const (
	KindLinear       Kind = "linear"
	KindStriped      Kind = "striped"
	KindMirror       Kind = "mirror"
	KindRAID         Kind = "raid"
	KindThinPool     Kind = "thin-pool"
	KindThin         Kind = "thin"
	KindThinSnapshot Kind = "thin-snapshot"
	KindSnapshot     Kind = "snapshot"
	KindCachePool    Kind = "cache-pool"
	KindCache        Kind = "cache"
	KindWriteCache   Kind = "writecache"
	KindVDOPool      Kind = "vdo-pool"
	KindVDO          Kind = "vdo"
	KindIntegrity    Kind = "integrity"
	KindComponent    Kind = "component"
	KindUnknown      Kind = "unknown"
)

// LV is a logical volume (lv_* fields) with its segments.
type LV struct {
	Name     string // lv_name without the [] lvm puts around hidden LVs
	UUID     string
	VGName   string
	VGUUID   string
	FullName string // vg/lv
	Path     string // lv_path, /dev/vg/lv ("" for hidden LVs)
	// DMName is the device-mapper name, vg-lv with every '-' in each part doubled; the
	// device is /dev/mapper/DMName when the LV is active.
	DMName string
	Size   int64  // lv_size (virtual size for thin and vdo LVs)
	Attr   string // lv_attr, e.g. "-wi-ao----"
	Layout []string
	Roles  []string
	Kind   Kind
	// Hidden: an internal LV lvm shows in [brackets] (never a data LV).
	Hidden bool
	// Public: lv_role has "public": a volume a user creates and mounts, snapshots included.
	Public bool
	// Snapshot: a thick or thin snapshot of another LV (Origin).
	Snapshot bool
	// DataLV: public and not a snapshot: the volumes whose data a migration copies.
	DataLV bool
	Parent string // lv_parent: the LV a sub-LV belongs to
	Origin string // origin of a snapshot or cache
	Pool   string // pool_lv of a thin or cached LV
	// Active is nil when lvm could not tell (no device-mapper: lv_attr state 'X').
	Active *bool
	// Kernel is the dm device number (lv_kernel_major:minor) of an active LV, else nil.
	Kernel   *DevNum
	Tags     []string
	Segments []Segment
}

// Segment is one segment of an LV (seg_* fields).
type Segment struct {
	Type       string // segtype: linear, striped, thin, raid1, mirror, cache, ...
	Start      int64  // seg_start, bytes into the LV
	Size       int64  // seg_size
	Stripes    int64
	StripeSize int64
	// Devices are where the segment's data lives: PVs ("/dev/sda2", first extent) or,
	// for raid, mirror, pool and cache segments, sub-LVs by name.
	Devices         []SegDevice
	MetadataDevices []SegDevice // raid metadata sub-LVs
}

// SegDevice is one entry of lvm's devices field: "name(start extent)".
type SegDevice struct {
	Name  string
	Start int64
}

// PVSeg is a run of extents of one PV; LVUUID is "" for free extents.
type PVSeg struct {
	PVUUID string
	LVUUID string
	Start  int64 // first extent
	Size   int64 // extents
}

// LVsOf returns the LVs of every VG called vg (hidden ones included), in report order.
func (r *Report) LVsOf(vg string) []LV {
	var out []LV
	for _, lv := range r.LVs {
		if lv.VGName == vg {
			out = append(out, lv)
		}
	}
	return out
}

// LVsOfUUID returns the LVs of the VG with that UUID.
func (r *Report) LVsOfUUID(uuid string) []LV {
	var out []LV
	for _, lv := range r.LVs {
		if lv.VGUUID == uuid {
			out = append(out, lv)
		}
	}
	return out
}

// PVsOfUUID returns the PVs of the VG with that UUID.
func (r *Report) PVsOfUUID(uuid string) []PV {
	var out []PV
	for _, pv := range r.PVs {
		if pv.VGUUID == uuid {
			out = append(out, pv)
		}
	}
	return out
}

// Orphans returns the PVs that belong to no VG.
func (r *Report) Orphans() []PV { return r.PVsOfUUID("") }

// DMName is the device-mapper name of LV lv in VG vg: each '-' doubled, joined by '-'.
func DMName(vg, lv string) string {
	return strings.ReplaceAll(vg, "-", "--") + "-" + strings.ReplaceAll(lv, "-", "--")
}

// ParseFullReport parses the JSON printed by `lvm fullreport --reportformat json
// --units b --nosuffix`: {"report":[{"vg":[..],"pv":[..],"lv":[..],"pvseg":[..],
// "seg":[..]}, ...]}, one element per VG and one per orphan PV, every value a string.
// Numbers as JSON numbers (--reportformat json_std) are accepted too.
func ParseFullReport(b []byte) (*Report, error) {
	var doc struct {
		Report []map[string][]map[string]any `json:"report"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	if doc.Report == nil {
		return nil, fmt.Errorf("%w: no \"report\" array", ErrParse)
	}
	r := &Report{}
	for i, el := range doc.Report {
		if err := r.addElement(el); err != nil {
			return nil, fmt.Errorf("%w: report element %d: %w", ErrParse, i, err)
		}
	}
	return r, nil
}

// row is one object of a sub-report, its values as strings.
type row map[string]string

func toRow(m map[string]any) row {
	out := make(row, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func (r *Report) addElement(el map[string][]map[string]any) error {
	var vg *VG
	switch n := len(el["vg"]); n {
	case 0:
	case 1:
		v, err := parseVG(toRow(el["vg"][0]))
		if err != nil {
			return err
		}
		vg = &v
	default:
		return fmt.Errorf("%d VGs in one element", n)
	}
	for _, m := range el["pv"] {
		pv, err := parsePV(toRow(m))
		if err != nil {
			return err
		}
		if vg != nil {
			pv.VGName, pv.VGUUID = vg.Name, vg.UUID
			vg.PVs = append(vg.PVs, pv.Name)
		}
		r.PVs = append(r.PVs, pv)
	}
	segs := map[string][]Segment{}
	for _, m := range el["seg"] {
		row := toRow(m)
		s, err := parseSeg(row)
		if err != nil {
			return err
		}
		segs[row["lv_uuid"]] = append(segs[row["lv_uuid"]], s)
	}
	for _, m := range el["lv"] {
		lv, err := parseLV(toRow(m))
		if err != nil {
			return err
		}
		if vg != nil {
			lv.VGName, lv.VGUUID = vg.Name, vg.UUID
		} else if i := strings.IndexByte(lv.FullName, '/'); i > 0 {
			lv.VGName = lv.FullName[:i]
		}
		if lv.FullName == "" {
			lv.FullName = lv.VGName + "/" + lv.Name
		}
		lv.DMName = DMName(lv.VGName, lv.Name)
		lv.Segments = segs[lv.UUID]
		sort.SliceStable(lv.Segments, func(i, j int) bool { return lv.Segments[i].Start < lv.Segments[j].Start })
		r.LVs = append(r.LVs, lv)
	}
	for _, m := range el["pvseg"] {
		row := toRow(m)
		s := PVSeg{PVUUID: row["pv_uuid"], LVUUID: row["lv_uuid"]}
		var err error
		if s.Start, err = row.int("pvseg_start"); err != nil {
			return err
		}
		if s.Size, err = row.int("pvseg_size"); err != nil {
			return err
		}
		r.PVSegs = append(r.PVSegs, s)
	}
	if vg != nil {
		r.VGs = append(r.VGs, *vg)
	}
	return nil
}

// int parses a required integer field.
func (r row) int(k string) (int64, error) {
	v, ok := r[k]
	if !ok {
		return 0, fmt.Errorf("field %s missing", k)
	}
	n, err := parseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", k, err)
	}
	return n, nil
}

// optInt parses an optional integer field: absent, "" and negative values (lvm's -1)
// are nil.
func (r row) optInt(k string) (*int64, error) {
	v, ok := r[k]
	if !ok || v == "" {
		return nil, nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", k, err)
	}
	if n < 0 {
		return nil, nil
	}
	return &n, nil
}

// flag is true when lvm printed the field's word (e.g. pv_missing "missing").
func (r row) flag(k string) bool { v := r[k]; return v != "" && v != "0" && v != "false" }

// parseBytes parses lvm's "--units b --nosuffix" number; a trailing "B" or ".0"
// decimals (other unit settings leak through lvm.conf) are accepted.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "B")
	if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
		s = s[:i]
	}
	return strconv.ParseInt(s, 10, 64)
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func parseDevNum(r row, maj, min string) (*DevNum, error) {
	a, err := r.optInt(maj)
	if err != nil {
		return nil, err
	}
	b, err := r.optInt(min)
	if err != nil {
		return nil, err
	}
	if a == nil || b == nil || *a > 1<<32-1 || *b > 1<<32-1 {
		return nil, nil
	}
	return &DevNum{Major: uint32(*a), Minor: uint32(*b)}, nil
}

func parseVG(r row) (VG, error) {
	vg := VG{
		Name:     r["vg_name"],
		UUID:     r["vg_uuid"],
		Attr:     r["vg_attr"],
		SystemID: r["vg_systemid"],
		Exported: r.flag("vg_exported"),
		Partial:  r.flag("vg_partial"),
		Shared:   r.flag("vg_shared") || r.flag("vg_clustered"),
		Tags:     list(r["vg_tags"]),
	}
	if vg.Name == "" {
		return vg, fmt.Errorf("VG without vg_name")
	}
	var err error
	for _, f := range []struct {
		k string
		p *int64
	}{{"vg_size", &vg.Size}, {"vg_free", &vg.Free}, {"vg_extent_size", &vg.ExtentSize},
		{"vg_extent_count", &vg.ExtentCount}, {"vg_free_count", &vg.FreeCount}} {
		if *f.p, err = r.int(f.k); err != nil {
			return vg, fmt.Errorf("VG %s: %w", vg.Name, err)
		}
	}
	if vg.MissingPVs, err = r.optInt("vg_missing_pv_count"); err != nil {
		return vg, fmt.Errorf("VG %s: %w", vg.Name, err)
	}
	return vg, nil
}

func parsePV(r row) (PV, error) {
	pv := PV{
		Name:       r["pv_name"],
		UUID:       r["pv_uuid"],
		Attr:       r["pv_attr"],
		Missing:    r.flag("pv_missing"),
		Duplicate:  r.flag("pv_duplicate"),
		Tags:       list(r["pv_tags"]),
		DeviceID:   r["pv_device_id"],
		DeviceType: r["pv_device_id_type"],
	}
	if pv.Name == "" && pv.UUID == "" {
		return pv, fmt.Errorf("PV without pv_name and pv_uuid")
	}
	var err error
	for _, f := range []struct {
		k string
		p *int64
	}{{"dev_size", &pv.DevSize}, {"pv_size", &pv.Size}, {"pv_free", &pv.Free},
		{"pv_used", &pv.Used}, {"pe_start", &pv.PEStart}, {"pv_pe_count", &pv.PECount},
		{"pv_pe_alloc_count", &pv.PEAlloc}} {
		if _, ok := r[f.k]; !ok {
			continue // not every lvm version reports every field
		}
		if *f.p, err = r.int(f.k); err != nil {
			return pv, fmt.Errorf("PV %s: %w", pv.Name, err)
		}
	}
	if pv.Dev, err = parseDevNum(r, "pv_major", "pv_minor"); err != nil {
		return pv, fmt.Errorf("PV %s: %w", pv.Name, err)
	}
	return pv, nil
}

func parseLV(r row) (LV, error) {
	name := r["lv_name"]
	lv := LV{
		UUID:     r["lv_uuid"],
		FullName: r["lv_full_name"],
		Path:     r["lv_path"],
		Attr:     r["lv_attr"],
		Layout:   list(r["lv_layout"]),
		Roles:    list(r["lv_role"]),
		Parent:   unbracket(r["lv_parent"]),
		Origin:   unbracket(r["origin"]),
		Pool:     unbracket(r["pool_lv"]),
		Tags:     list(r["lv_tags"]),
	}
	lv.Hidden = strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]")
	lv.Name = unbracket(name)
	if lv.Name == "" {
		return lv, fmt.Errorf("LV without lv_name")
	}
	var err error
	if lv.Size, err = r.int("lv_size"); err != nil {
		return lv, fmt.Errorf("LV %s: %w", lv.Name, err)
	}
	if lv.Kernel, err = parseDevNum(r, "lv_kernel_major", "lv_kernel_minor"); err != nil {
		return lv, fmt.Errorf("LV %s: %w", lv.Name, err)
	}
	lv.Active = activeState(lv.Attr, r["lv_active"], lv.Kernel)
	lv.Kind = kindOf(lv.Layout, lv.Roles, lv.Attr)
	lv.Public = has(lv.Roles, "public") || (lv.Roles == nil && !lv.Hidden && lv.Kind != KindThinPool && lv.Kind != KindCachePool && lv.Kind != KindVDOPool)
	lv.Snapshot = has(lv.Roles, "snapshot") || lv.Kind == KindSnapshot || lv.Kind == KindThinSnapshot
	lv.DataLV = lv.Public && !lv.Snapshot && !lv.Hidden
	return lv, nil
}

func parseSeg(r row) (Segment, error) {
	s := Segment{Type: r["segtype"]}
	var err error
	if s.Start, err = r.int("seg_start"); err != nil {
		return s, err
	}
	if s.Size, err = r.int("seg_size"); err != nil {
		return s, err
	}
	if v, err := r.optInt("stripes"); err != nil {
		return s, err
	} else if v != nil {
		s.Stripes = *v
	}
	if v, err := r.optInt("stripe_size"); err != nil {
		return s, err
	} else if v != nil {
		s.StripeSize = *v
	}
	if s.Devices, err = parseDevices(r["devices"]); err != nil {
		return s, err
	}
	if s.MetadataDevices, err = parseDevices(r["metadata_devices"]); err != nil {
		return s, err
	}
	return s, nil
}

// parseDevices parses "/dev/sda2(0),/dev/sdb1(10)" or "r1_rimage_0(0),r1_rimage_1(0)".
func parseDevices(s string) ([]SegDevice, error) {
	if s == "" {
		return nil, nil
	}
	var out []SegDevice
	for _, d := range strings.Split(s, ",") {
		open := strings.LastIndexByte(d, '(')
		if open < 0 || !strings.HasSuffix(d, ")") {
			out = append(out, SegDevice{Name: unbracket(d)}) // e.g. "error" or a missing PV
			continue
		}
		n, err := strconv.ParseInt(d[open+1:len(d)-1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("devices %q: %w", s, err)
		}
		out = append(out, SegDevice{Name: unbracket(d[:open]), Start: n})
	}
	return out, nil
}

func unbracket(s string) string {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return s[1 : len(s)-1]
	}
	return s
}

func has(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// activeState: lv_attr's fifth character is the state ('a' active, '-' not, 'X' unknown
// because lvm could not ask device-mapper, others are states of active LVs).
func activeState(attr, lvActive string, kernel *DevNum) *bool {
	t, f := true, false
	switch {
	case kernel != nil || lvActive == "active":
		return &t
	case len(attr) < 5 || attr[4] == 'X':
		return nil
	case attr[4] == '-':
		return &f
	default:
		return &t
	}
}

func kindOf(layout, roles []string, attr string) Kind {
	if layout == nil && roles == nil {
		return kindFromAttr(attr)
	}
	pool := has(layout, "pool")
	switch {
	case has(layout, "thin") && pool:
		return KindThinPool
	case has(layout, "cache") && pool:
		return KindCachePool
	case has(layout, "vdo") && pool:
		return KindVDOPool
	case has(roles, "private"):
		return KindComponent
	case has(layout, "thin"):
		if has(roles, "snapshot") {
			return KindThinSnapshot
		}
		return KindThin
	case has(roles, "snapshot"):
		return KindSnapshot
	case has(layout, "writecache"):
		return KindWriteCache
	case has(layout, "cache"):
		return KindCache
	case has(layout, "vdo"):
		return KindVDO
	case has(layout, "raid"):
		return KindRAID
	case has(layout, "mirror"):
		return KindMirror
	case has(layout, "integrity"):
		return KindIntegrity
	case has(layout, "striped"):
		return KindStriped
	case has(layout, "linear"):
		return KindLinear
	}
	return KindUnknown
}

// kindFromAttr maps lv_attr's volume type character, for lvm versions without
// lv_layout/lv_role (before 2.02.110).
func kindFromAttr(attr string) Kind {
	if attr == "" {
		return KindUnknown
	}
	switch attr[0] {
	case '-', 'o', 'O':
		return KindLinear
	case 'm', 'M':
		return KindMirror
	case 'r', 'R':
		return KindRAID
	case 's', 'S':
		return KindSnapshot
	case 't':
		return KindThinPool
	case 'V':
		return KindThin
	case 'C':
		return KindCache
	case 'd':
		return KindVDOPool
	case 'v':
		return KindVDO
	case 'i', 'I', 'l', 'L', 'T', 'e', 'D', 'g':
		return KindComponent
	}
	return KindUnknown
}

// reservedLVStrings may not appear in a user's LV name: lvm gives them to the sub-LVs it
// makes (raid images and metadata, mirror images and logs, pool data and metadata,
// cache origins, spare metadata).
var reservedLVStrings = []string{"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mimage", "_mlog",
	"_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin", "_imeta", "_iorig"}

// InternalDM says whether a device-mapper device (its dm/name and dm/uuid) is one lvm
// made for its own use rather than an LV a user mounts: a layer over an LV (uuid
// "LVM-<vg uuid><lv uuid>-<layer>": -real, -cow, -tpool, -pool, -tdata, ...) or a
// hidden sub-LV (a reserved string in the LV part of the name). Such devices hold
// nothing or a copy of a public LV's filesystem, so they are not probed for one.
func InternalDM(name, uuid string) bool {
	rest, ok := strings.CutPrefix(uuid, "LVM-")
	if !ok {
		return false
	}
	if len(rest) > 64 && rest[64] == '-' {
		return true
	}
	// The LV part of "vg-lv": after the first '-' that is not a doubled "--".
	lv := ""
	for i := 0; i < len(name); i++ {
		if name[i] != '-' {
			continue
		}
		if i+1 < len(name) && name[i+1] == '-' {
			i++
			continue
		}
		lv = name[i+1:]
		break
	}
	for _, r := range reservedLVStrings {
		if strings.Contains(lv, r) {
			return true
		}
	}
	return false
}
