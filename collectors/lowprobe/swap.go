package lowprobe

// Linux swap (libblkid/src/superblocks/swap.c): the signature in the last 10 bytes of
// the first page (4, 8, 16, 32 or 64 KiB pages), the v1 header at 1024.

func probeSwap(p *prober, m *magic) (bool, error) {
	// TuxOnIce keeps a valid swap header at the end of its first page.
	toi := p.view(0, int64(len(toiMagic)))
	if toi == nil || toi.match(0, toiMagic) {
		return false, nil
	}
	switch m.magic {
	case "SWAP-SPACE":
		p.setVersion("0") // v0 has neither label nor UUID
		return true, nil
	case "SWAPSPACE2":
		return p.swapInfo("1"), nil
	}
	return false, nil
}

// swapInfo is swap_set_info on struct swap_header_v1_2 at 1024 (516 bytes).
func (p *prober) swapInfo(version string) bool {
	hdr := p.view(1024, 516)
	if hdr == nil {
		return false
	}
	if version == "1" {
		v := hdr.le32(0)
		if v != 1 && v != 0x01000000 { // written by either endianness
			return false
		}
		if hdr.le32(4) == 0 { // lastpage
			return false
		}
	}
	// "Is there any garbage down there?" padding[32] and padding[33] must be zero.
	if hdr.le32(44+32*4) == 0 && hdr.le32(44+33*4) == 0 {
		if vol := hdr.bytes(28, 16); vol[0] != 0 {
			p.setLabel(vol)
		}
		p.setUUID("UUID", hdr.bytes(12, 16))
	}
	p.setVersion(version)
	return true
}
