package lowprobe

// NTFS (libblkid/src/superblocks/ntfs.c): the boot sector at 0 (struct
// ntfs_super_block, 84 bytes), the MFT's first record and its $Volume record (number
// 3), whose $VOLUME_NAME attribute (0x60) is the label.

func probeNTFS(p *prober, m *magic) (bool, error) { return p.ntfs(m, true) }

// isNTFS is blkid_probe_is_ntfs, which the MBR parser asks.
func (p *prober) isNTFS() (bool, error) {
	m, ok, err := p.idmag([]magic{{"NTFS    ", 0, 3}})
	if err != nil || !ok {
		return false, err
	}
	return p.ntfs(m, false)
}

// ntfs is __probe_ntfs; with info it sets LABEL, BLOCK_SIZE and UUID.
func (p *prober) ntfs(m *magic, info bool) (bool, error) {
	ns := p.view(sbOff(m), 84)
	if ns == nil {
		return false, nil
	}
	sectorSize := uint32(ns.le16(0x0b))
	if sectorSize < 256 || sectorSize > 4096 {
		return false, nil
	}
	var spc uint32
	switch c := ns.u8(0x0d); c {
	case 1, 2, 4, 8, 16, 32, 64, 128:
		spc = uint32(c)
	default:
		if c < 240 || c > 249 {
			return false, nil
		}
		spc = 1 << (256 - uint32(c))
	}
	if sectorSize*spc > 2*1024*1024 {
		return false, nil
	}
	if ns.le16(0x0e) != 0 || ns.le16(0x11) != 0 || ns.le16(0x13) != 0 || ns.le16(0x16) != 0 ||
		ns.le32(0x20) != 0 || ns.u8(0x10) != 0 {
		return false, nil
	}
	cpm := int8(ns.u8(0x40))
	if u := uint8(cpm); u < 0xe1 || u > 0xf7 {
		switch cpm {
		case 1, 2, 4, 8, 16, 32, 64:
		default:
			return false, nil
		}
	}
	var recSize uint32
	if cpm > 0 {
		recSize = uint32(cpm) * spc * sectorSize
	} else {
		recSize = uint32(1) << uint32(-int32(cpm))
	}
	nrClusters := ns.le64(0x28) / uint64(spc)
	mftLCN := ns.le64(0x30)
	if mftLCN > nrClusters || ns.le64(0x38) > nrClusters {
		return false, nil
	}
	off := mftLCN * uint64(sectorSize) * uint64(spc)
	if recSize < 4 {
		return false, nil
	}
	rec := p.ntfsRecord(off, recSize)
	if rec == nil || !rec.match(0, "FILE") {
		return false, nil
	}
	rec = p.ntfsRecord(off+3*uint64(recSize), recSize)
	if rec == nil || !rec.match(0, "FILE") {
		return false, nil
	}
	if !info {
		return true, nil
	}
	size := uint64(recSize)
	attrOff := uint64(rec.le16(20))
	allocated := uint64(rec.le32(28))
	for attrOff+22 <= size && attrOff <= allocated {
		attrLen := uint64(rec.le32(int64(attrOff) + 4))
		if attrLen == 0 {
			break
		}
		typ := rec.le32(int64(attrOff))
		if typ == 0xffffffff {
			break
		}
		if typ == 0x60 {
			valOff := uint64(rec.le16(int64(attrOff) + 20))
			valLen := uint64(rec.le32(int64(attrOff) + 16))
			if attrOff+valOff+valLen <= size {
				p.setUTF8Label(rec.bytes(int64(attrOff+valOff), int64(valLen)), utf16le)
			}
			break
		}
		attrOff += attrLen
	}
	p.setBlockSize(uint64(sectorSize))
	serial := ns.bytes(0x48, 8)
	p.sprintfUUID(serial, "%016X", le.Uint64(serial))
	return true, nil
}

// ntfsRecord is the MFT record of size bytes at off, when libblkid could read it.
func (p *prober) ntfsRecord(off uint64, size uint32) *view {
	if off > uint64(p.t.Size) {
		return nil
	}
	return p.view(int64(off), int64(size))
}
