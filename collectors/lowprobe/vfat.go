package lowprobe

// FAT12/16/32 (libblkid/src/superblocks/vfat.c): the boot sector at 0 (struct
// msdos_super_block / vfat_super_block, 512 bytes), the volume label entry of the root
// directory, the FAT entries of a FAT32 root directory's clusters and the FAT32
// FSInfo sector.

var magicsVFAT = []magic{
	{"MSWIN", 0, 0x52}, {"FAT32   ", 0, 0x52}, {"MSDOS", 0, 0x36}, {"FAT16   ", 0, 0x36},
	{"FAT12   ", 0, 0x36}, {"FAT     ", 0, 0x36}, {"\353", 0, 0}, {"\351", 0, 0}, {"\125\252", 0, 0x1fe},
}

const (
	fat12Max = 0xFF4
	fat16Max = 0xFFF4
	fat32Max = 0x0FFFFFF6
)

// fatValid is fat_valid_superblock: the BPB makes sense and the volume is not
// BitLocker's.
func (p *prober) fatValid(m *magic, bs *view) (ok bool, clusters, fatSize uint32, err error) {
	if len(m.magic) <= 2 {
		// FATs without a magic string: an MBR-like signature and no JFS/HPFS pseudo-BPB.
		if bs.u8(0x1fe) != 0x55 || bs.u8(0x1ff) != 0xAA {
			return false, 0, 0, nil
		}
		if s := bs.str(0x36, 8); s == "JFS     " || s == "HPFS    " {
			return false, 0, 0, nil
		}
	}
	fats := uint32(bs.u8(0x10))
	if fats == 0 {
		return false, 0, 0, nil
	}
	reserved := uint32(bs.le16(0x0e))
	if reserved == 0 {
		return false, 0, 0, nil
	}
	if media := bs.u8(0x15); !(media >= 0xf8 || media == 0xf0) {
		return false, 0, 0, nil
	}
	clusterSize := uint32(bs.u8(0x0d))
	if !isPowerOf2(uint64(clusterSize)) {
		return false, 0, 0, nil
	}
	sectorSize := uint32(bs.le16(0x0b))
	if !isPowerOf2(uint64(sectorSize)) || sectorSize < 512 || sectorSize > 4096 {
		return false, 0, 0, nil
	}
	dirEntries := uint64(bs.le16(0x11))
	sectCount := uint32(bs.le16(0x13))
	if sectCount == 0 {
		sectCount = bs.le32(0x20)
	}
	fatLength := uint32(bs.le16(0x16))
	fat32Length := bs.le32(0x24)
	if fatLength == 0 {
		fatLength = fat32Length
	}
	fatSize = fatLength * fats
	dirSize := uint32((dirEntries*32 + uint64(sectorSize) - 1) / uint64(sectorSize))
	clusters = (sectCount - (reserved + fatSize + dirSize)) / clusterSize
	maxCount := uint32(fat12Max)
	switch {
	case bs.le16(0x16) == 0 && fat32Length != 0:
		maxCount = fat32Max
	case clusters > fat12Max:
		maxCount = fat16Max
	}
	if clusters > maxCount {
		return false, 0, 0, nil
	}
	if bl, err := p.isBitLocker(); err != nil || bl {
		return false, 0, 0, err
	}
	return true, clusters, fatSize, nil
}

// isVFAT is blkid_probe_is_vfat, which the MBR parser asks so as not to take a FAT
// boot sector for a partition table.
func (p *prober) isVFAT() (bool, error) {
	m, ok, err := p.idmag(magicsVFAT)
	if err != nil || !ok {
		return false, err
	}
	bs := p.view(sbOff(m), 512)
	if bs == nil {
		return false, nil
	}
	ok, _, _, err = p.fatValid(m, bs)
	return ok, err
}

func probeVFAT(p *prober, m *magic) (bool, error) {
	bs := p.view(sbOff(m), 512)
	if bs == nil {
		return false, nil
	}
	ok, clusters, fatSize, err := p.fatValid(m, bs)
	if !ok || err != nil {
		return false, err
	}
	sectorSize := uint32(bs.le16(0x0b))
	reserved := uint32(bs.le16(0x0e))
	var volLabel, bootLabel, serno []byte
	version := ""
	if bs.le16(0x16) != 0 {
		// FAT12/16: the label may be an entry of the fixed root directory.
		rootStart := (reserved + fatSize) * sectorSize
		volLabel = p.fatLabel(uint64(rootStart), uint32(bs.le16(0x11)))
		switch bs.u8(0x26) {
		case 0x29:
			bootLabel = bs.bytes(0x2b, 11)
			serno = bs.bytes(0x27, 4)
		case 0x28:
			serno = bs.bytes(0x27, 4)
		}
		p.set("SEC_TYPE", []byte("msdos"))
		switch {
		case clusters < fat12Max:
			version = "FAT12"
		case clusters < fat16Max:
			version = "FAT16"
		}
	} else if fat32Length := bs.le32(0x24); fat32Length != 0 {
		// FAT32: follow the root directory's cluster chain, at most 99 clusters.
		clusterSize := uint32(bs.u8(0x0d))
		bufSize := clusterSize * sectorSize
		startDataSect := reserved + fatSize
		entries := uint32(uint64(fat32Length) * uint64(sectorSize) / 4)
		next := bs.le32(0x2c)
		for maxloop := 100; next != 0 && next < entries; {
			if maxloop--; maxloop == 0 {
				break
			}
			nextOff := uint64(startDataSect+(next-2)*clusterSize) * uint64(sectorSize)
			if volLabel = p.fatLabel(nextOff, bufSize/32); volLabel != nil {
				break
			}
			fatEntry := p.view(int64(uint64(reserved)*uint64(sectorSize)+uint64(next)*4), int64(bufSize))
			if fatEntry == nil {
				break
			}
			next = fatEntry.le32(0) & 0x0fffffff
		}
		version = "FAT32"
		if bs.u8(0x42) == 0x29 {
			bootLabel = bs.bytes(0x47, 11)
		}
		serno = bs.bytes(0x43, 4)
		if fsinfo := uint64(bs.le16(0x30)); fsinfo != 0 {
			fi := p.view(int64(fsinfo*uint64(sectorSize)), 512)
			if fi == nil {
				return false, nil
			}
			if s := fi.str(0, 4); s != "RRaA" && s != "RRdA" && s != "\x00\x00\x00\x00" {
				return false, nil
			}
			if s := fi.str(484, 4); s != "rrAa" && s != "\x00\x00\x00\x00" {
				return false, nil
			}
		}
	}
	if bootLabel != nil && string(bootLabel) != "NO NAME    " {
		p.setIDLabel("LABEL_FATBOOT", bootLabel)
	}
	if volLabel != nil {
		p.setLabel(volLabel)
	}
	if serno != nil {
		p.sprintfUUID(serno, "%02X%02X-%02X%02X", serno[3], serno[2], serno[1], serno[0])
	}
	if version != "" {
		p.setVersion(version)
	}
	p.setBlockSize(uint64(sectorSize))
	return true, nil
}

// fatLabel is search_fat_label: the 11-byte name of the first volume-label entry of
// a directory of n 32-byte entries at off. Only the fields that decide are read.
func (p *prober) fatLabel(off uint64, n uint32) []byte {
	if off > uint64(p.t.Size) {
		return nil
	}
	if !p.tiny() && p.view(int64(off), int64(n)*32) == nil {
		return nil // libblkid reads the whole directory at once
	}
	for i := uint32(0); i < n; i++ {
		ent := p.view(int64(off)+int64(i)*32, 32)
		if ent == nil {
			return nil
		}
		name0 := ent.u8(0)
		if name0 == 0 {
			return nil
		}
		if name0 == 0xe5 || ent.le16(20) != 0 || ent.le16(26) != 0 {
			continue
		}
		attr := ent.u8(11)
		if attr&0x3f == 0x0f { // a long-name entry
			continue
		}
		if attr&(0x08|0x10) == 0x08 {
			name := append([]byte(nil), ent.bytes(0, 11)...)
			if name[0] == 0x05 {
				name[0] = 0xe5
			}
			return name
		}
	}
	return nil
}
