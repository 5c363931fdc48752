package lowprobe

// bcache (libblkid/src/superblocks/bcache.c): the superblock at 4 KiB; libblkid 2.38
// reports its UUID only.

func probeBcache(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 56) // struct bcache_super_block
	if sb == nil || sb.le64(8) != 0x1000/512 {
		return false, nil
	}
	p.setUUID("UUID", sb.bytes(40, 16))
	return true, nil
}
