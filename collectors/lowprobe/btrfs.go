package lowprobe

// btrfs (libblkid/src/superblocks/btrfs.c): the superblock at 64 KiB. Zoned devices
// keep it elsewhere; Target has no zone size, so the caller must not use the prober on
// a zoned device (queue/zoned other than "none").

func probeBtrfs(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), 555) // struct btrfs_super_block up to its label
	if sb == nil {
		return false, nil
	}
	if label := sb.bytes(299, 256); label[0] != 0 {
		p.setLabel(label)
	}
	p.setUUID("UUID", sb.bytes(32, 16))
	p.setUUID("UUID_SUB", sb.bytes(267, 16)) // dev_item.uuid
	p.setBlockSize(uint64(sb.le32(144)))
	return true, nil
}
