package lowprobe

// squashfs 4 and squashfs 3 (libblkid/src/superblocks/squashfs.c): the superblock at
// 0; only the version is reported.

func probeSquashfs(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 32)
	if sb == nil {
		return false, nil
	}
	major, minor := sb.le16(28), sb.le16(30)
	if major < 4 {
		return false, nil
	}
	p.sprintf("VERSION", "%d.%d", major, minor)
	return true, nil
}

func probeSquashfs3(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 32)
	if sb == nil {
		return false, nil
	}
	major, minor := sb.le16(28), sb.le16(30)
	if m.magic == "sqsh" {
		major, minor = sb.be16(28), sb.be16(30)
	}
	if major > 3 {
		return false, nil
	}
	p.sprintf("VERSION", "%d.%d", major, minor)
	p.setBlockSize(1024)
	return true, nil
}

// erofs (libblkid/src/superblocks/erofs.c): the superblock at 1 KiB.
func probeEROFS(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 128)
	if sb == nil {
		return false, nil
	}
	if name := sb.bytes(64, 16); name[0] != 0 {
		p.setLabel(name)
	}
	p.setUUID("UUID", sb.bytes(48, 16))
	if bits := sb.u8(12); bits < 32 {
		p.setBlockSize(1 << bits)
	}
	return true, nil
}

// f2fs (libblkid/src/superblocks/f2fs.c): the first superblock at 1 KiB.
func probeF2FS(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 1148)
	if sb == nil {
		return false, nil
	}
	major, minor := sb.le16(4), sb.le16(6)
	if major == 1 && minor == 0 {
		return true, nil // the layout of version 1.0 is not known
	}
	if name := sb.bytes(124, 1024); name[0] != 0 {
		p.setUTF8Label(name, utf16le)
	}
	p.setUUID("UUID", sb.bytes(108, 16))
	p.sprintf("VERSION", "%d.%d", major, minor)
	if lbs := sb.le32(16); lbs < 32 {
		p.setBlockSize(1 << lbs)
	}
	return true, nil
}
