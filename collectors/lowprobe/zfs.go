package lowprobe

// ZFS pool member (libblkid/src/superblocks/zfs.c): at least 4 uberblocks (magic
// 0x00bab10c, either byte order, at each KiB of the 128 KiB uberblock array at 128 KiB
// into a 256 KiB label) in the four labels: two at the start, two 256 KiB-aligned at
// the end. Only the type is decided here; the pool name and GUIDs (an XDR nvlist) are
// left to blkid, so a ZFS member is NeedsBlkid.

const (
	zfsLabelSize = 256 * 1024
	zfsUberOff   = 128 * 1024
	zfsWant      = 4
)

func probeZFS(p *prober, _ *magic) (bool, error) {
	size := p.t.Size
	align := size % zfsLabelSize
	found := 0
	for _, off := range []int64{0, zfsLabelSize, size - 2*zfsLabelSize - align, size - zfsLabelSize - align} {
		if p.wholeOrFile() {
			covered, err := p.coveredByPT(uint64(off), zfsLabelSize)
			if err != nil {
				return false, err
			}
			if covered {
				continue // the label area belongs to a partition
			}
		}
		label := p.view(off, zfsLabelSize)
		if label == nil {
			return false, nil
		}
		_ = p.prefetch(off+zfsUberOff, zfsLabelSize-zfsUberOff)
		for i := int64(0); i < 128; i++ {
			if label.match(zfsUberOff+i*1024, "\x0c\xb1\xba\x00\x00\x00\x00\x00", "\x00\x00\x00\x00\x00\xba\xb1\x0c") {
				found++
			}
		}
		if found >= zfsWant {
			return true, nil
		}
	}
	return false, nil
}
