package platform

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LiveBtrfsSearch runs BTRFS_IOC_TREE_SEARCH (version 1: one 4 KiB page of answers,
// enough for the small searches the agent makes) on this machine.
type LiveBtrfsSearch struct{}

const (
	btrfsSearchKeySize = 104                             // sizeof(struct btrfs_ioctl_search_key)
	btrfsIocTreeSearch = 3<<30 | 4096<<16 | 0x94<<8 | 17 // _IOWR(0x94, 17, struct btrfs_ioctl_search_args)
)

// BtrfsTreeSearch opens mnt (a directory of the mounted filesystem) and searches.
func (LiveBtrfsSearch) BtrfsTreeSearch(mnt string, key BtrfsSearchKey) (BtrfsSearchResult, error) {
	fd, err := unix.Open(mnt, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search: open %s: %w", mnt, err)
	}
	defer unix.Close(fd)
	var args [4096]byte
	le := binary.LittleEndian
	for i, v := range []uint64{key.TreeID, key.MinObjectID, key.MaxObjectID, key.MinOffset, key.MaxOffset, key.MinTransID, key.MaxTransID} {
		le.PutUint64(args[8*i:], v)
	}
	le.PutUint32(args[56:], key.MinType)
	le.PutUint32(args[60:], key.MaxType)
	le.PutUint32(args[64:], key.NrItems)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), btrfsIocTreeSearch, uintptr(unsafe.Pointer(&args[0]))); errno != 0 {
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %w", mnt, errno)
	}
	nr := le.Uint32(args[64:])
	buf := args[btrfsSearchKeySize:]
	n, err := BtrfsSearchItemsLen(buf, nr)
	if err != nil {
		return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %w", mnt, err)
	}
	return BtrfsSearchResult{NrItems: nr, Buf: append([]byte(nil), buf[:n]...)}, nil
}
