package btrfs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sms-agent/sms-agent/platform"
)

// testdata/default-search/*.json are real BTRFS_IOC_TREE_SEARCH answers, recorded on a
// 300 MiB loop btrfs (btrfs-progs 6.2, kernel 6.18) with subvolumes @ (256) and
// @/nested (257), the default set with `btrfs subvolume set-default` to each of 5,
// 256 and 257 in turn; `btrfs subvolume get-default` agreed each time.
func loadSearch(t testing.TB, name string) platform.BtrfsSearchOutcome {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "default-search", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var o platform.BtrfsSearchOutcome
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

var searchCases = map[string]uint64{"toplevel": FSTreeObjectID, "at": 256, "nested": 257}

func TestParseDefaultSubvolumeSearch(t *testing.T) {
	for name, want := range searchCases {
		o := loadSearch(t, name)
		if o.Key != DefaultSubvolumeSearchKey() {
			t.Errorf("%s: recorded with key %+v, not DefaultSubvolumeSearchKey", name, o.Key)
		}
		got, err := ParseDefaultSubvolumeSearch(*o.Result)
		if err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", name, got, err, want)
		}
		// Through a replayed capture, as discover reads it.
		r := platform.NewReplayBtrfsSearch([]platform.BtrfsSearchOutcome{o})
		if got, err := ReadDefaultSubvolumeID(r, o.Mount); err != nil || got != want {
			t.Errorf("%s replayed: %d, %v; want %d", name, got, err, want)
		}
		if _, err := ReadDefaultSubvolumeID(r, "/elsewhere"); !errors.Is(err, platform.ErrNotRecorded) {
			t.Errorf("%s: unrecorded mount: %v", name, err)
		}
	}
}

func TestParseDefaultSubvolumeSearchBroken(t *testing.T) {
	good := *loadSearch(t, "at").Result
	header := func(objectID uint64, typ, n uint32) []byte {
		h := make([]byte, platform.BtrfsSearchHeaderSize)
		binary.LittleEndian.PutUint64(h[8:], objectID)
		binary.LittleEndian.PutUint32(h[24:], typ)
		binary.LittleEndian.PutUint32(h[28:], n)
		return h
	}
	// A dir item named "other" ahead of "default" in the same item (a name-hash
	// collision): the second entry is the one.
	other := append([]byte(nil), good.Buf[platform.BtrfsSearchHeaderSize:]...)
	binary.LittleEndian.PutUint64(other, 999)
	copy(other[dirItemSize:], "other  ")
	both := append(append([]byte(nil), other...), good.Buf[platform.BtrfsSearchHeaderSize:]...)
	collision := append(header(rootTreeDirObjectID, dirItemKey, uint32(len(both))), both...)
	if id, err := ParseDefaultSubvolumeSearch(platform.BtrfsSearchResult{NrItems: 1, Buf: collision}); err != nil || id != 256 {
		t.Errorf("collision: %d, %v; want 256", id, err)
	}
	longName := make([]byte, dirItemSize) // a dir item whose name_len says 50 bytes
	binary.LittleEndian.PutUint16(longName[27:], 50)
	for name, res := range map[string]platform.BtrfsSearchResult{
		"no items":        {},
		"only other":      {NrItems: 1, Buf: append(header(rootTreeDirObjectID, dirItemKey, uint32(len(other))), other...)},
		"truncated":       {NrItems: 1, Buf: good.Buf[:len(good.Buf)-3]},
		"count too large": {NrItems: 2, Buf: good.Buf},
		"short dir item":  {NrItems: 1, Buf: append(header(rootTreeDirObjectID, dirItemKey, 5), 1, 2, 3, 4, 5)},
		"name past item":  {NrItems: 1, Buf: append(header(rootTreeDirObjectID, dirItemKey, dirItemSize), longName...)},
	} {
		if id, err := ParseDefaultSubvolumeSearch(res); !errors.Is(err, ErrParse) {
			t.Errorf("%s: %d, %v; want ErrParse", name, id, err)
		}
	}
}

func FuzzParseDefaultSubvolumeSearch(f *testing.F) {
	for name := range searchCases {
		r := loadSearch(f, name).Result
		f.Add(r.NrItems, r.Buf)
	}
	f.Fuzz(func(t *testing.T, nr uint32, buf []byte) {
		id, err := ParseDefaultSubvolumeSearch(platform.BtrfsSearchResult{NrItems: nr, Buf: buf})
		if err != nil && id != 0 {
			t.Fatalf("id %d with error %v", id, err)
		}
	})
}
