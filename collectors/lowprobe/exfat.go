package lowprobe

// exFAT (libblkid/src/superblocks/exfat.c): the boot sector at 0 and the volume label
// entry (type 0x83) of the root directory, following its FAT chain.

func probeExFAT(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 113) // struct exfat_super_block
	if sb == nil {
		return false, nil
	}
	blockBits, bpcBits := uint32(sb.u8(108)), uint32(sb.u8(109))
	clusterSize := cShl32(cShl32(1, blockBits), bpcBits)
	if clusterSize == 0 {
		return false, nil
	}
	label := p.exfatLabel(sb, blockBits, bpcBits, clusterSize)
	if p.err != nil {
		return false, nil
	}
	if label != nil {
		n := int64(label.u8(1)) * 2
		if n > 22 {
			n = 22
		}
		p.setUTF8Label(label.bytes(2, n), utf16le)
	}
	serial := sb.bytes(100, 4)
	p.sprintfUUID(serial, "%02X%02X-%02X%02X", serial[3], serial[2], serial[1], serial[0])
	p.sprintf("VERSION", "%d.%d", sb.u8(105), sb.u8(104))
	p.setBlockSize(uint64(cShl32(1, blockBits)))
	return true, nil
}

// cShl32 and cShl64 are what x86 computes for C's x << n on 32- and 64-bit integers
// (the count is taken modulo the width; C leaves larger counts undefined).
func cShl32(x, n uint32) uint32        { return x << (n & 31) }
func cShl64(x uint64, n uint32) uint64 { return x << (n & 63) }

// exfatLabel is find_label: the first volume-label entry of the root directory, at
// most 10000 entries, "nil" at the end-of-directory entry.
func (p *prober) exfatLabel(sb *view, blockBits, bpcBits, clusterSize uint32) *view {
	clusterOff := func(cluster uint32) uint64 {
		block := uint64(sb.le32(88)) + cShl64(uint64(cluster-2), bpcBits)
		return cShl64(block, blockBits)
	}
	cluster := sb.le32(96)
	off := clusterOff(cluster)
	for i := 0; i < 10000; i++ {
		if off > uint64(p.t.Size) {
			return nil
		}
		entry := p.view(int64(off), 32)
		if entry == nil {
			return nil
		}
		switch entry.u8(0) {
		case 0x00:
			return nil
		case 0x83:
			return entry
		}
		off += 32
		if off%uint64(clusterSize) == 0 {
			fatOff := cShl64(uint64(sb.le32(80)), blockBits) + uint64(cluster)*4
			if fatOff > uint64(p.t.Size) {
				return nil
			}
			next := p.view(int64(fatOff), 4)
			if next == nil {
				return nil
			}
			cluster = next.le32(0)
			if cluster < 2 || cluster > 0xffffff6 {
				return nil
			}
			off = clusterOff(cluster)
		}
	}
	return nil
}
