//go:build !linux

package platform

import (
	"errors"
	"fmt"
)

// LiveBtrfsSearch: btrfs exists only on Linux.
type LiveBtrfsSearch struct{}

// BtrfsTreeSearch fails with errors.ErrUnsupported.
func (LiveBtrfsSearch) BtrfsTreeSearch(mnt string, _ BtrfsSearchKey) (BtrfsSearchResult, error) {
	return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: %w", mnt, errors.ErrUnsupported)
}
