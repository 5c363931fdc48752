package lowprobe

// XFS (libblkid/src/superblocks/xfs.c): the superblock at 0 (big-endian), checked as
// xfs_verify_sb does before it is believed.

const xfsSBSize = 160 // struct xfs_super_block as libblkid declares it

func probeXFS(p *prober, m *magic) (bool, error) {
	sb := p.view(sbOff(m), xfsSBSize)
	if sb == nil || !xfsValid(sb) {
		return false, nil
	}
	if fname := sb.bytes(108, 12); fname[0] != 0 {
		p.setLabel(fname)
	}
	p.setUUID("UUID", sb.bytes(32, 16))
	p.setBlockSize(uint64(sb.be16(102)))
	return true, nil
}

// xfsValid is xfs_verify_sb.
func xfsValid(sb *view) bool {
	var (
		blocksize  = uint64(sb.be32(4))
		dblocks    = sb.be64(8)
		rextsize   = uint64(sb.be32(80))
		agblocks   = uint64(sb.be32(84))
		agcount    = uint64(sb.be32(88))
		sectsize   = uint64(sb.be16(102))
		inodesize  = uint64(sb.be16(104))
		blocklog   = uint64(sb.u8(120))
		sectlog    = uint64(sb.u8(121))
		inodelog   = uint64(sb.u8(122))
		inopblog   = uint64(sb.u8(123))
		imaxPct    = sb.u8(127)
		rtextBytes = uint32(rextsize * blocksize) // the C product is 32-bit
	)
	switch {
	case agcount == 0,
		sectsize < 512, sectsize > 32768, sectlog < 9, sectlog > 15, sectsize != 1<<sectlog,
		blocksize < 512, blocksize > 65536, blocklog < 9, blocklog > 16, blocksize != 1<<blocklog,
		inodesize < 256, inodesize > 2048, inodelog < 8, inodelog > 11, inodesize != 1<<inodelog,
		int(blocklog)-int(inodelog) != int(inopblog),
		rtextBytes > 1<<30, rtextBytes < 4096,
		imaxPct > 100,
		dblocks == 0,
		dblocks > agcount*agblocks,
		dblocks < (agcount-1)*agblocks+64:
		return false
	}
	return true
}
