package lowprobe

// Linux software RAID member (libblkid/src/superblocks/linux_raid.c): the 0.90
// superblock in the last 64 KiB-aligned 64 KiB of the device, version 1.0 8 KiB before
// the 4 KiB-aligned end, 1.1 at 0 and 1.2 at 4 KiB.

const mdReserved = 0x10000
const mdMagic = 0xa92b4efc

func probeMD(p *prober, _ *magic) (bool, error) {
	size := p.t.Size
	ver := ""
	if size > mdReserved {
		ok, err := p.md090(size&^(mdReserved-1) - mdReserved)
		if ok || err != nil {
			return ok, err
		}
		if p.md1(size&^(0x1000-1) - 0x2000) {
			ver = "1.0"
		}
	}
	if ver == "" {
		if p.md1(0) {
			ver = "1.1"
		} else if p.md1(0x1000) {
			ver = "1.2"
		}
	}
	if ver == "" {
		return false, nil
	}
	p.setVersion(ver)
	return true, nil
}

// md090 is probe_raid0: the 0.90 superblock (either byte order) at off.
func (p *prober) md090(off int64) (bool, error) {
	if p.t.Size < mdReserved {
		return false, nil
	}
	sb := p.view(off, 64) // struct mdp0_super_block
	if sb == nil {
		return false, nil
	}
	var uuid [16]byte
	var ma, mi, pa uint32
	var size uint64
	u32 := sb.le32
	switch {
	case sb.match(0, u32s(mdMagic)[0]):
	case sb.match(0, u32s(mdMagic)[1]):
		u32 = sb.be32
	default:
		return false, nil
	}
	// The set UUID is stored as four 32-bit words; libblkid prints them big-endian.
	be.PutUint32(uuid[0:], u32(20))
	if u32(8) >= 90 {
		be.PutUint32(uuid[4:], u32(52))
		be.PutUint32(uuid[8:], u32(56))
		be.PutUint32(uuid[12:], u32(60))
	}
	ma, mi, pa = u32(4), u32(8), u32(12)
	size = uint64(u32(32)) << 10
	devSize := uint64(p.t.Size)
	if devSize < size+mdReserved || uint64(off) < size {
		return false, nil
	}
	// On a whole disk, a superblock inside a partition is the partition's.
	if p.wholeOrFile() {
		covered, err := p.coveredByPT(uint64(off)-size, size+mdReserved)
		if err != nil || covered {
			return false, err
		}
	}
	p.sprintf("VERSION", "%d.%d.%d", ma, mi, pa)
	p.setUUID("UUID", uuid[:])
	return true, nil
}

// md1 is probe_raid1: a version-1 superblock at off that says it is at off.
func (p *prober) md1(off int64) bool {
	sb := p.view(off, 256) // struct mdp1_super_block
	if sb == nil || !sb.match(0, u32s(mdMagic)[0]) || sb.le32(4) != 1 || sb.le64(144) != uint64(off)>>9 {
		return false
	}
	p.setUUID("UUID", sb.bytes(16, 16))
	p.setUUID("UUID_SUB", sb.bytes(168, 16))
	p.setLabel(sb.bytes(32, 32))
	return true
}
