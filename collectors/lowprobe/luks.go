package lowprobe

// LUKS1 and LUKS2 (libblkid/src/superblocks/luks.c): the primary header at 0, or a
// LUKS2 secondary header at one of the offsets cryptsetup may put it.

const (
	luksMagic  = "LUKS\xba\xbe"
	luksMagic2 = "SKUL\xba\xbe"
	luks2HdrSz = 512 // struct luks2_phdr
)

var luks2Secondary = []int64{0x04000, 0x008000, 0x010000, 0x020000, 0x40000, 0x080000, 0x100000, 0x200000, 0x400000}

func probeLUKS(p *prober, _ *magic) (bool, error) {
	hdr := p.view(0, luks2HdrSz)
	if hdr == nil {
		return false, nil
	}
	if hdr.match(0, luksMagic) {
		p.luksAttributes(hdr)
		return true, nil
	}
	for _, off := range luks2Secondary {
		hdr := p.view(off, luks2HdrSz)
		if hdr == nil {
			return false, nil
		}
		if hdr.match(0, luksMagic2) {
			p.luksAttributes(hdr)
			return true, nil
		}
	}
	return false, nil
}

// luksAttributes sets VERSION, UUID and, for LUKS2, LABEL and SUBSYSTEM.
func (p *prober) luksAttributes(hdr *view) {
	version := hdr.be16(6)
	p.sprintf("VERSION", "%d", version)
	switch version {
	case 1:
		p.strncpyUUID(hdr.bytes(168, 40))
	case 2:
		p.strncpyUUID(hdr.bytes(168, 40))
		p.setLabel(hdr.bytes(24, 48))
		p.setIDLabel("SUBSYSTEM", hdr.bytes(208, 48))
	}
}
