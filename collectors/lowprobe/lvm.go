package lowprobe

// LVM2 physical volume label (libblkid/src/superblocks/lvm.c): "LABELONE" in one of
// the first four sectors, with "LVM2 001" at +24 and the PV UUID at +32.

func probeLVM2(p *prober, m *magic) (bool, error) {
	sector := uint64(m.kboff << 1)
	buf := p.view(m.kboff<<10, 512+64) // the label may be in either sector of the KiB
	if buf == nil {
		return false, nil
	}
	var lbl int64
	switch {
	case buf.match(0, "LABELONE"):
	case buf.match(512, "LABELONE"):
		lbl = 512
		sector++
	default:
		return false, nil
	}
	if buf.le64(lbl+8) != sector { // sector_xl
		return false, nil
	}
	// crc_xl covers the label sector from offset_xl (+20) to its end.
	if lvm2CRC(buf.p, m.kboff<<10+lbl+20, 512-20) != buf.le32(lbl+16) {
		return false, nil
	}
	uuid := buf.bytes(lbl+32, 32)
	formatted := make([]byte, 0, 38)
	for i, b := 0, uint32(1); i < 32; i, b = i+1, b<<1 {
		if b&0x4444440 != 0 {
			formatted = append(formatted, '-')
		}
		formatted = append(formatted, uuid[i])
	}
	if !allZero(uuid) && len(cstring(formatted)) > 0 {
		p.set("UUID", cstring(formatted))
	}
	p.setVersion(m.magic)
	// pvcreate wipes the first 8 KiB: a partition table found there is newer.
	p.setWiper(0, 8*1024)
	return true, nil
}

// lvm2CRC is lvm2_calc_crc over n bytes at off (a view of the label sector, which is
// inside the device when the label was found).
func lvm2CRC(p *prober, off, n int64) uint32 {
	tab := [16]uint32{
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	}
	v := p.view(off, n)
	if v == nil {
		return 0
	}
	crc := uint32(0xf597a6cf)
	for _, c := range v.bytes(0, n) {
		crc ^= uint32(c)
		crc = crc>>4 ^ tab[crc&0xf]
		crc = crc>>4 ^ tab[crc&0xf]
	}
	return crc
}
