package platform

import (
	"encoding/binary"
	"fmt"
	"sync"
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

// BtrfsSearchOutcome is one search as kept in a capture.
type BtrfsSearchOutcome struct {
	Mount  string             `json:"mount"`
	Key    BtrfsSearchKey     `json:"key"`
	Result *BtrfsSearchResult `json:"result,omitempty"`
	Err    string             `json:"error,omitempty"`
}

type btrfsSearchID struct {
	mnt string
	key BtrfsSearchKey
}

// ReplayBtrfsSearch answers searches from a capture; a search it does not hold fails
// with ErrNotRecorded (captures made before searches were recorded hold none).
type ReplayBtrfsSearch struct {
	byID map[btrfsSearchID]BtrfsSearchOutcome
}

// NewReplayBtrfsSearch indexes recorded searches.
func NewReplayBtrfsSearch(outcomes []BtrfsSearchOutcome) *ReplayBtrfsSearch {
	r := &ReplayBtrfsSearch{byID: map[btrfsSearchID]BtrfsSearchOutcome{}}
	for _, o := range outcomes {
		r.byID[btrfsSearchID{o.Mount, o.Key}] = o
	}
	return r
}

// BtrfsTreeSearch returns the recorded answer.
func (r *ReplayBtrfsSearch) BtrfsTreeSearch(mnt string, key BtrfsSearchKey) (BtrfsSearchResult, error) {
	o, ok := r.byID[btrfsSearchID{mnt, key}]
	switch {
	case !ok:
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %w", mnt, ErrNotRecorded)
	case o.Result == nil:
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %s", mnt, o.Err)
	}
	return *o.Result, nil
}

// RecordBtrfsSearch wraps a searcher and keeps every outcome, for `capture`.
type RecordBtrfsSearch struct {
	Inner BtrfsSearcher
	mu    sync.Mutex
	got   []BtrfsSearchOutcome
}

// BtrfsTreeSearch searches with the inner searcher and records the outcome.
func (r *RecordBtrfsSearch) BtrfsTreeSearch(mnt string, key BtrfsSearchKey) (BtrfsSearchResult, error) {
	res, err := r.Inner.BtrfsTreeSearch(mnt, key)
	o := BtrfsSearchOutcome{Mount: mnt, Key: key}
	if err != nil {
		o.Err = err.Error()
	} else {
		o.Result = &BtrfsSearchResult{NrItems: res.NrItems, Buf: append([]byte(nil), res.Buf...)}
	}
	r.mu.Lock()
	r.got = append(r.got, o)
	r.mu.Unlock()
	return res, err
}

// Recorded returns the outcomes recorded so far.
func (r *RecordBtrfsSearch) Recorded() []BtrfsSearchOutcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]BtrfsSearchOutcome(nil), r.got...)
}
