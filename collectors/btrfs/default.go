package btrfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sms-agent/sms-agent/platform"
)

// The btrfs on-disk constants the default-subvolume search uses (linux/btrfs_tree.h).
const (
	rootTreeObjectID    = 1  // BTRFS_ROOT_TREE_OBJECTID: the tree of trees
	rootTreeDirObjectID = 6  // BTRFS_ROOT_TREE_DIR_OBJECTID: the directory holding "default"
	dirItemKey          = 84 // BTRFS_DIR_ITEM_KEY
	// FSTreeObjectID is the top-level subvolume's id (BTRFS_FS_TREE_OBJECTID).
	FSTreeObjectID = 5
	dirItemSize    = 30 // sizeof(struct btrfs_dir_item): location key 17, transid 8, data_len 2, name_len 2, type 1
)

// DefaultSubvolumeSearchKey is the tree search btrfs-progs makes for
// `btrfs subvolume get-default`: the dir items of the root tree's directory (object 6),
// one of which is named "default" and points at the default subvolume.
func DefaultSubvolumeSearchKey() platform.BtrfsSearchKey {
	return platform.BtrfsSearchKey{
		TreeID:      rootTreeObjectID,
		MinObjectID: rootTreeDirObjectID, MaxObjectID: rootTreeDirObjectID,
		MinType: dirItemKey, MaxType: dirItemKey,
		MaxOffset: math.MaxUint64, MaxTransID: math.MaxUint64,
		NrItems: 16,
	}
}

// ParseDefaultSubvolumeSearch finds the "default" dir item in the answer to
// DefaultSubvolumeSearchKey and returns the subvolume id it points at (5 when the
// top level is the default). Pure: the search result in, the id out.
func ParseDefaultSubvolumeSearch(res platform.BtrfsSearchResult) (uint64, error) {
	le := binary.LittleEndian
	buf := res.Buf
	if _, err := platform.BtrfsSearchItemsLen(buf, res.NrItems); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrParse, err)
	}
	off := 0
	for i := uint32(0); i < res.NrItems; i++ {
		objectID := le.Uint64(buf[off+8:])
		typ := le.Uint32(buf[off+24:])
		n := int(le.Uint32(buf[off+28:]))
		item := buf[off+platform.BtrfsSearchHeaderSize : off+platform.BtrfsSearchHeaderSize+n]
		off += platform.BtrfsSearchHeaderSize + n
		if objectID != rootTreeDirObjectID || typ != dirItemKey {
			continue
		}
		// One item holds every dir entry whose name hashes alike, back to back.
		for len(item) > 0 {
			if len(item) < dirItemSize {
				return 0, fmt.Errorf("%w: dir item of %d bytes, shorter than its header", ErrParse, len(item))
			}
			location := le.Uint64(item[0:])
			dataLen := int(le.Uint16(item[25:]))
			nameLen := int(le.Uint16(item[27:]))
			if dirItemSize+nameLen+dataLen > len(item) {
				return 0, fmt.Errorf("%w: dir item name of %d and data of %d bytes past its %d bytes", ErrParse, nameLen, dataLen, len(item))
			}
			if bytes.Equal(item[dirItemSize:dirItemSize+nameLen], []byte("default")) {
				return location, nil
			}
			item = item[dirItemSize+nameLen+dataLen:]
		}
	}
	return 0, fmt.Errorf("%w: no \"default\" dir item among %d items of the root tree directory", ErrParse, res.NrItems)
}

// ReadDefaultSubvolumeID asks the filesystem mounted at mnt for its default subvolume
// id with one tree search (no process).
func ReadDefaultSubvolumeID(s platform.BtrfsSearcher, mnt string) (uint64, error) {
	res, err := s.BtrfsTreeSearch(mnt, DefaultSubvolumeSearchKey())
	if err != nil {
		return 0, err
	}
	id, err := ParseDefaultSubvolumeSearch(res)
	if err != nil {
		return 0, fmt.Errorf("btrfs tree search on %s: %w", mnt, err)
	}
	return id, nil
}
