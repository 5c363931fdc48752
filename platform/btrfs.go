package platform

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// BtrfsSearchKey is the part of the kernel's struct btrfs_ioctl_search_key a caller
// sets for BTRFS_IOC_TREE_SEARCH: which tree, the key range, and how many items.
type BtrfsSearchKey struct {
	TreeID      uint64 `json:"tree_id"`
	MinObjectID uint64 `json:"min_objectid"`
	MaxObjectID uint64 `json:"max_objectid"`
	MinOffset   uint64 `json:"min_offset"`
	MaxOffset   uint64 `json:"max_offset"`
	MinTransID  uint64 `json:"min_transid"`
	MaxTransID  uint64 `json:"max_transid"`
	MinType     uint32 `json:"min_type"`
	MaxType     uint32 `json:"max_type"`
	NrItems     uint32 `json:"nr_items"`
}

// BtrfsSearchResult is what the kernel answered: the number of items and the buffer
// holding them, each a 32-byte struct btrfs_ioctl_search_header (transid, objectid,
// offset, type, len; little-endian, the byte order of every host this agent supports)
// followed by len bytes of the item in btrfs's on-disk format. Buf is cut to the items.
type BtrfsSearchResult struct {
	NrItems uint32 `json:"nr_items"`
	Buf     []byte `json:"buf"`
}

// BtrfsSearchHeaderSize is sizeof(struct btrfs_ioctl_search_header).
const BtrfsSearchHeaderSize = 32

// BtrfsSearcher runs BTRFS_IOC_TREE_SEARCH on the btrfs filesystem mounted at mnt.
// The live one needs CAP_SYS_ADMIN, as btrfs-progs does for the same search.
type BtrfsSearcher interface {
	BtrfsTreeSearch(mnt string, key BtrfsSearchKey) (BtrfsSearchResult, error)
}

// BtrfsSearchItemsLen is the length of the first nr items in buf (headers included):
// where the kernel's answer ends. It fails when a header or item runs past buf.
func BtrfsSearchItemsLen(buf []byte, nr uint32) (int, error) {
	off := 0
	for i := uint32(0); i < nr; i++ {
		if len(buf)-off < BtrfsSearchHeaderSize {
			return 0, fmt.Errorf("btrfs tree search: item %d of %d: header past the buffer (%d bytes)", i+1, nr, len(buf))
		}
		n := int(binary.LittleEndian.Uint32(buf[off+28:]))
		off += BtrfsSearchHeaderSize
		if n > len(buf)-off {
			return 0, fmt.Errorf("btrfs tree search: item %d of %d: %d bytes past the buffer (%d bytes)", i+1, nr, n, len(buf))
		}
		off += n
	}
	return off, nil
}

// BtrfsSearchOutcome is one search as captures before version 2 kept it (the
// manifest's "btrfs_searches" list).
type BtrfsSearchOutcome struct {
	Mount  string             `json:"mount"`
	Key    BtrfsSearchKey     `json:"key"`
	Result *BtrfsSearchResult `json:"result,omitempty"`
	Err    string             `json:"error,omitempty"`
}

// record converts a version 1 search into a BtrfsSearchProbe record.
func (o BtrfsSearchOutcome) record() (ProbeRecord, error) {
	var res BtrfsSearchResult
	var err error
	if o.Result != nil {
		res = *o.Result
	} else {
		err = &ProbeError{Message: o.Err}
	}
	return ProbeRecordOf(BtrfsSearchProbe, BtrfsSearchQuery{Mount: o.Mount, Search: o.Key}, res, err)
}

// BtrfsSearchQuery is one tree search on the btrfs filesystem mounted at Mount.
type BtrfsSearchQuery struct {
	Mount  string         `json:"mount"`
	Search BtrfsSearchKey `json:"search"`
}

// BtrfsSearchProbe is BTRFS_IOC_TREE_SEARCH (see LiveBtrfsSearch), keyed by the mount
// point and the search key.
var BtrfsSearchProbe = Probe[BtrfsSearchQuery, BtrfsSearchResult]{
	Name: "btrfs_tree_search",
	Live: func(_ context.Context, _ LiveEnv, qs []BtrfsSearchQuery) []Answer[BtrfsSearchResult] {
		out := make([]Answer[BtrfsSearchResult], len(qs))
		for i, q := range qs {
			out[i].Value, out[i].Err = LiveBtrfsSearch{}.BtrfsTreeSearch(q.Mount, q.Search)
		}
		return out
	},
}

// ProbeBtrfsSearch searches through a Prober: live, recorded or replayed. A search the
// capture does not hold (captures made before searches were recorded hold none) fails
// with ErrNotRecorded.
type ProbeBtrfsSearch struct{ P Prober }

// BtrfsTreeSearch asks BtrfsSearchProbe.
func (s ProbeBtrfsSearch) BtrfsTreeSearch(mnt string, key BtrfsSearchKey) (BtrfsSearchResult, error) {
	res, err := Ask(context.Background(), s.P, BtrfsSearchProbe, BtrfsSearchQuery{Mount: mnt, Search: key})
	if errors.Is(err, ErrNotRecorded) {
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %w", mnt, ErrNotRecorded)
	}
	return res, err
}

// NewReplayBtrfsSearch answers searches from version 1 records.
func NewReplayBtrfsSearch(outcomes []BtrfsSearchOutcome) BtrfsSearcher {
	return ProbeBtrfsSearch{P: replayV1(BtrfsSearchProbe.Name, outcomes, BtrfsSearchOutcome.record)}
}
