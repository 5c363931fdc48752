package lowprobe

// ext2/3/4, ext4dev and jbd (libblkid/src/superblocks/ext.c): the superblock at
// 1024, of which libblkid reads the first 512 bytes.

const (
	extSBOff = 0x400

	extCompatHasJournal  = 0x0004
	extIncompatJournalDe = 0x0008
	extFlagsTestFilesys  = 0x0004

	ext2ROCompatSupp   = 0x0001 | 0x0002 | 0x0004 // sparse_super, large_file, btree_dir
	ext2IncompatSupp   = 0x0002 | 0x0010          // filetype, meta_bg
	ext3ROCompatSupp   = ext2ROCompatSupp
	ext3IncompatSupp   = 0x0002 | 0x0004 | 0x0010 // filetype, recover, meta_bg
	ext2IncompatUnsupp = ^uint32(ext2IncompatSupp)
	ext2ROCompatUnsupp = ^uint32(ext2ROCompatSupp)
	ext3IncompatUnsupp = ^uint32(ext3IncompatSupp)
	ext3ROCompatUnsupp = ^uint32(ext3ROCompatSupp)
)

// extSuper is the superblock view with its three feature sets (ext_get_super).
func (p *prober) extSuper() (sb *view, fc, fi, frc uint32) {
	sb = p.view(extSBOff, 0x200)
	if sb == nil {
		return nil, 0, 0, 0
	}
	return sb, sb.le32(92), sb.le32(96), sb.le32(100)
}

// extInfo sets what ext_get_info sets: LABEL, UUID, EXT_JOURNAL, SEC_TYPE, VERSION,
// BLOCK_SIZE.
func (p *prober) extInfo(ver int, sb *view) {
	if name := sb.bytes(120, 16); name[0] != 0 {
		p.setLabel(name)
	}
	p.setUUID("UUID", sb.bytes(104, 16))
	if sb.le32(92)&extCompatHasJournal != 0 {
		p.setUUID("EXT_JOURNAL", sb.bytes(208, 16))
	}
	if ver != 2 && sb.le32(96)&ext2IncompatUnsupp == 0 {
		p.set("SEC_TYPE", []byte("ext2"))
	}
	p.sprintf("VERSION", "%d.%d", sb.le32(76), sb.le16(62))
	if lbs := sb.le32(24); lbs < 32 {
		p.setBlockSize(1024 << lbs)
	}
}

func probeJBD(p *prober, _ *magic) (bool, error) {
	sb, _, fi, _ := p.extSuper()
	if sb == nil || fi&extIncompatJournalDe == 0 {
		return false, nil
	}
	p.extInfo(2, sb)
	p.setUUID("LOGUUID", sb.bytes(104, 16))
	return true, nil
}

func probeExt2(p *prober, _ *magic) (bool, error) {
	sb, fc, fi, frc := p.extSuper()
	if sb == nil || fc&extCompatHasJournal != 0 || frc&ext2ROCompatUnsupp != 0 || fi&ext2IncompatUnsupp != 0 {
		return false, nil
	}
	p.extInfo(2, sb)
	return true, nil
}

func probeExt3(p *prober, _ *magic) (bool, error) {
	sb, fc, fi, frc := p.extSuper()
	if sb == nil || fc&extCompatHasJournal == 0 || frc&ext3ROCompatUnsupp != 0 || fi&ext3IncompatUnsupp != 0 {
		return false, nil
	}
	p.extInfo(3, sb)
	return true, nil
}

func probeExt4dev(p *prober, _ *magic) (bool, error) {
	sb, _, fi, _ := p.extSuper()
	if sb == nil || fi&extIncompatJournalDe != 0 || sb.le32(352)&extFlagsTestFilesys == 0 {
		return false, nil
	}
	p.extInfo(4, sb)
	return true, nil
}

func probeExt4(p *prober, _ *magic) (bool, error) {
	sb, _, fi, frc := p.extSuper()
	if sb == nil || fi&extIncompatJournalDe != 0 {
		return false, nil
	}
	if frc&ext3ROCompatUnsupp == 0 && fi&ext3IncompatUnsupp == 0 {
		return false, nil
	}
	if sb.le32(352)&extFlagsTestFilesys != 0 {
		return false, nil
	}
	p.extInfo(4, sb)
	return true, nil
}
