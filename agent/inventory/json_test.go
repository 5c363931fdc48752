package inventory

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// plainInventory has Inventory's fields and not its MarshalJSON: encoding/json encodes
// it by reflection, which is what MarshalJSON must reproduce.
type plainInventory Inventory

// reference is encoding/json's reflection encoding of inv, compact, without HTML escapes.
func reference(t testing.TB, inv *Inventory) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode((*plainInventory)(inv)); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// indentJSON encodes v as `discover --json` prints an inventory: indented by two spaces,
// without HTML escapes.
func indentJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkEncoding: MarshalJSON's bytes are the reference, and json.Marshal (HTML escapes)
// and the indenting, non-escaping Encoder of `discover --json` give what they give by
// reflection.
func checkEncoding(t testing.TB, inv *Inventory) {
	t.Helper()
	got, err := inv.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := reference(t, inv); !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON:\n%s\nreflection:\n%s", got, want)
	}
	a, err1 := json.Marshal(inv)
	b, err2 := json.Marshal((*plainInventory)(inv))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("json.Marshal (%v, %v):\n%s\nreflection:\n%s", err1, err2, a, b)
	}
	if a, b := indentJSON(t, inv), indentJSON(t, (*plainInventory)(inv)); !bytes.Equal(a, b) {
		t.Fatalf("indented:\n%s\nreflection:\n%s", a, b)
	}
}

// The strings a field gets: escapes, control characters, HTML, line separators,
// invalid UTF-8, multi-byte runes.
var trickyStrings = []string{
	"", "a", "/dev/sda1", `q"uo\te`, "\x00\x01\x1f\x7f", "\b\f\n\r\t", "<a&b>", "\u2028\u2029",
	"\xff", "ab\xc3", "\xed\xa0\x80", "é日本\U0001F600", "M-CM-)", " lead and trail ",
}

// fill sets v's fields at random: each exported field is set with probability p (a
// string from trickyStrings, a random integer, true, a filled pointer, a list of 0-2
// filled elements, or nil), else left zero.
func fill(v reflect.Value, r *rand.Rand, p float64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && r.Float64() < p {
				fill(v.Field(i), r, p)
			}
		}
	case reflect.String:
		v.SetString(trickyStrings[r.IntN(len(trickyStrings))])
	case reflect.Int, reflect.Int64:
		n := []int64{0, 1, -1, 4096, 1 << 62, -1 << 63, r.Int64()}[r.IntN(7)]
		v.SetInt(n)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		fill(e.Elem(), r, p)
		v.Set(e)
	case reflect.Slice:
		n := r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fill(s.Index(i), r, p)
		}
		v.Set(s)
	default:
		panic("fill: a field of kind " + v.Kind().String() + ": teach fill and MarshalJSON about it")
	}
}

func TestMarshalJSONMatchesReflection(t *testing.T) {
	checkEncoding(t, &Inventory{})
	checkEncoding(t, &Inventory{Disks: []Disk{}, VolumeGroups: []VolumeGroup{}, BtrfsList: []BtrfsFileSystem{},
		Stacked: []StackedDevice{}, Mounts: []Mount{}, Warnings: []Warning{}})
	if b, err := (*Inventory)(nil).MarshalJSON(); err != nil || string(b) != "null" {
		t.Errorf("nil: %q %v", b, err)
	}
	// Every field of every type set (p = 1, then lists of up to two), and random
	// mixtures of set and unset fields.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		p := 1.0
		if i >= 50 {
			p = r.Float64()
		}
		var inv Inventory
		fill(reflect.ValueOf(&inv).Elem(), r, p)
		checkEncoding(t, &inv)
	}
}

// TestMarshalJSONGoldens: every golden inventory decodes and encodes to its own bytes.
func TestMarshalJSONGoldens(t *testing.T) {
	files, err := filepath.Glob("../../testdata/hosts/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var inv Inventory
		if json.Unmarshal(b, &inv) != nil || inv.SchemaVersion == 0 {
			continue // a request body, a probe answer
		}
		n++
		if !bytes.Equal(indentJSON(t, &inv), b) {
			t.Errorf("%s: encoded again, the bytes differ", f)
		}
		checkEncoding(t, &inv)
	}
	if n < 15 {
		t.Errorf("%d golden inventories; want every testdata/hosts/*.json inventory (at least 15)", n)
	}
}

func FuzzMarshalJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, "x", int64(7), true)
	}
	f.Fuzz(func(t *testing.T, s1, s2 string, n int64, b bool) {
		yes := b
		id := &Identity{FileSystem: s1, UUID: s2, Label: s1 + s2, Source: s2}
		inv := &Inventory{
			Host: Host{Hostname: s1, OS: OSRelease{ID: s2, IDLike: s1}, MemoryBytes: n,
				Windows: &WindowsHost{ProductName: s2, Administrator: &yes, Platform: s1}},
			Disks: []Disk{{Name: s1, Size: n, OSDisk: b, Identity: id, Serial: s2,
				PhysicalVolumes: []Partition{{Name: s2, Identity: *id, Extended: b, InodeSize: n, Extent: &VolumeExtent{Index: int(n)}}}}},
			VolumeGroups: []VolumeGroup{{Name: s1, Components: []string{s1, s2}, LogicalVolumes: []LogicalVolume{{Name: s2, Active: &yes, Identity: *id}}}},
			BtrfsList:    []BtrfsFileSystem{{Label: s1, Subvolume: []BtrfsSubvolume{{SubvolName: s2, IsSnapshot: b}}}},
			Stacked:      []StackedDevice{{Name: s1, Slaves: []string{}, Identity: *id, Usage: &Usage{FSSize: n}}},
			Mounts:       []Mount{{MountPoint: s1, Options: s2, Error: s1}},
			Warnings:     []Warning{{Source: s1, Message: s2}},
		}
		checkEncoding(t, inv)
	})
}
