package lowprobe

import "fmt"

// usage of a signature (BLKID_USAGE_*), which blkid prints as USAGE.
type usage int

const (
	usageFilesystem usage = 1 << 1
	usageRAID       usage = 1 << 2
	usageCrypto     usage = 1 << 3
	usageOther      usage = 1 << 4
)

func (u usage) String() string {
	switch {
	case u&usageFilesystem != 0:
		return "filesystem"
	case u&usageRAID != 0:
		return "raid"
	case u&usageCrypto != 0:
		return "crypto"
	case u&usageOther != 0:
		return "other"
	}
	return "unknown"
}

// magic is one place a signature's magic string may be: at kboff KiB + sboff bytes
// (struct blkid_idmag).
type magic struct {
	magic string
	kboff int64
	sboff int64
}

// idinfo is one signature type in libblkid's superblocks chain (struct blkid_idinfo).
// A native type has probe, which decodes it exactly as libblkid does; a foreign type
// has only its magic strings and, when it has none, sniff: a test true whenever
// libblkid's prober could match. Finding a foreign type stops the probe with
// NeedsBlkid.
type idinfo struct {
	name     string
	usage    usage
	tolerant bool  // BLKID_IDINFO_TOLERANT: may coexist with another signature
	minsz    int64 // smaller devices are not probed for it
	magics   []magic
	probe    func(p *prober, m *magic) (bool, error)
	sniff    func(p *prober) (bool, error)
}

// The magic strings of libblkid 2.38's probers, copied from libblkid/src/superblocks.
var (
	magicsExt       = []magic{{"\x53\xef", 1, 0x38}}
	magicsSquashfs3 = []magic{{"sqsh", 0, 0}, {"hsqs", 0, 0}}
)

// superblocks is libblkid 2.38's list of superblock probers, in its order
// (libblkid/src/superblocks/superblocks.c idinfos[]): the order decides which of two
// signatures is reported and when probing stops (at the first RAID or crypto one).
var superblocks = []*idinfo{
	// RAIDs
	{name: "linux_raid_member", usage: usageRAID, probe: probeMD},
	{name: "ddf_raid_member", usage: usageRAID, sniff: sniffDDF},
	{name: "isw_raid_member", usage: usageRAID, sniff: sniffISW},
	{name: "lsi_mega_raid_member", usage: usageRAID, sniff: sniffLSI},
	{name: "via_raid_member", usage: usageRAID, sniff: sniffVIA},
	{name: "silicon_medley_raid_member", usage: usageRAID, sniff: sniffSilicon},
	{name: "nvidia_raid_member", usage: usageRAID, sniff: sniffNvidia},
	{name: "promise_fasttrack_raid_member", usage: usageRAID, sniff: sniffPromise},
	{name: "hpt45x_raid_member", usage: usageRAID, sniff: sniffHPT45x},
	{name: "hpt37x_raid_member", usage: usageRAID, magics: []magic{{"\xf0\x16\x78\x5a", 4, 544}, {"\xfd\x16\x78\x5a", 4, 544}}, sniff: sniffWholeOrFile},
	{name: "adaptec_raid_member", usage: usageRAID, sniff: sniffAdaptec},
	{name: "jmicron_raid_member", usage: usageRAID, sniff: sniffJMicron},

	{name: "bcache", usage: usageOther, minsz: 8192, magics: []magic{{"\xc6\x85\x73\xf6\x4e\x1a\x45\xca\x82\x65\xf5\x7f\x48\xba\x6d\x81", 4, 24}}, probe: probeBcache},
	{name: "ceph_bluestore", usage: usageOther, magics: []magic{{"bluestore block device", 0, 0}}},
	{name: "drbd", usage: usageRAID, sniff: sniffDRBD},
	{name: "drbdmanage_control_volume", usage: usageOther, minsz: 64 * 1024, magics: []magic{{"$DRBDmgr=q", 0, 0}}},
	{name: "drbdproxy_datalog", usage: usageFilesystem, minsz: 16 * 1024, magics: []magic{{"DRBDdlh*", 0, 0}}},
	{name: "LVM2_member", usage: usageRAID, magics: []magic{{"LVM2 001", 0, 0x218}, {"LVM2 001", 0, 0x018}, {"LVM2 001", 1, 0x018}, {"LVM2 001", 1, 0x218}}, probe: probeLVM2},
	{name: "LVM1_member", usage: usageRAID, magics: []magic{{"HM", 0, 0}}},
	{name: "DM_snapshot_cow", usage: usageOther, magics: []magic{{"SnAp", 0, 0}}},
	{name: "DM_verity_hash", usage: usageCrypto, magics: []magic{{"verity\x00\x00", 0, 0}}},
	{name: "DM_integrity", usage: usageCrypto, magics: []magic{{"integrt\x00", 0, 0}}},
	{name: "crypto_LUKS", usage: usageCrypto, probe: probeLUKS},
	{name: "VMFS_volume_member", usage: usageRAID, magics: []magic{{"\x0d\xd0\x01\xc0", 1024, 0}}},
	{name: "ubi", usage: usageRAID, magics: []magic{{"UBI#", 0, 0}}},
	{name: "vdo", usage: usageOther, magics: []magic{{"dmvdo001", 0, 0}}},
	{name: "stratis", usage: usageRAID, minsz: 8192, magics: []magic{{"!Stra0tis\x86\xff\x02^\x41rh", 0, 516}, {"!Stra0tis\x86\xff\x02^\x41rh", 0, 4612}}},
	{name: "BitLocker", usage: usageCrypto, magics: []magic{{bdeMagicVista, 0, 0}, {bdeMagicWin7, 0, 0}, {bdeMagicToGo, 0, 0}}},

	// Filesystems
	{name: "vfat", usage: usageFilesystem, magics: magicsVFAT, probe: probeVFAT},
	{name: "swsuspend", usage: usageOther, minsz: 10 * 4096, magics: magicsSwsuspend},
	{name: "swap", usage: usageOther, minsz: 10 * 4096, magics: magicsSwap, probe: probeSwap},
	{name: "xfs", usage: usageFilesystem, magics: []magic{{"XFSB", 0, 0}}, probe: probeXFS},
	{name: "xfs_external_log", usage: usageOther, minsz: 10 << 20, sniff: sniffXFSLog},
	{name: "exfs", usage: usageFilesystem, magics: []magic{{"EXFS", 0, 0}}},
	{name: "ext4dev", usage: usageFilesystem, magics: magicsExt, probe: probeExt4dev},
	{name: "ext4", usage: usageFilesystem, magics: magicsExt, probe: probeExt4},
	{name: "ext3", usage: usageFilesystem, magics: magicsExt, probe: probeExt3},
	{name: "ext2", usage: usageFilesystem, magics: magicsExt, probe: probeExt2},
	{name: "jbd", usage: usageOther, magics: magicsExt, probe: probeJBD},
	{name: "reiserfs", usage: usageFilesystem, minsz: 128 * 1024, magics: []magic{{"ReIsErFs", 8, 0x34}, {"ReIsEr2Fs", 64, 0x34}, {"ReIsEr3Fs", 64, 0x34}, {"ReIsErFs", 64, 0x34}, {"ReIsErFs", 8, 20}}},
	{name: "reiser4", usage: usageFilesystem, minsz: 128 * 1024, magics: []magic{{"ReIsEr4", 64, 0}}},
	{name: "jfs", usage: usageFilesystem, minsz: 16 << 20, magics: []magic{{"JFS1", 32, 0}}},
	{name: "udf", usage: usageFilesystem, tolerant: true, magics: []magic{{"BEA01", 32, 1}, {"BOOT2", 32, 1}, {"CD001", 32, 1}, {"CDW02", 32, 1}, {"NSR02", 32, 1}, {"NSR03", 32, 1}, {"TEA01", 32, 1}}, sniff: sniffUDF},
	{name: "iso9660", usage: usageFilesystem, tolerant: true, magics: []magic{{"CD001", 32, 1}, {"CDROM", 32, 9}}, probe: probeISO9660},
	{name: "zfs_member", usage: usageFilesystem, minsz: 64 << 20, probe: probeZFS},
	{name: "hfsplus", usage: usageFilesystem, magics: []magic{{"BD", 1, 0}, {"H+", 1, 0}, {"HX", 1, 0}}},
	{name: "hfs", usage: usageFilesystem, tolerant: true, magics: []magic{{"BD", 1, 0}}},
	{name: "ufs", usage: usageFilesystem, sniff: sniffUFS},
	{name: "hpfs", usage: usageFilesystem, magics: []magic{{"\x49\xe8\x95\xf9", 8, 0}}},
	{name: "sysv", usage: usageFilesystem, sniff: sniffSysV},
	{name: "xenix", usage: usageFilesystem, magics: []magic{{"\x2b\x55\x44", 1, 0x400}, {"\x44\x55\x2b", 1, 0x400}}},
	{name: "ntfs", usage: usageFilesystem, magics: []magic{{"NTFS    ", 0, 3}}, probe: probeNTFS},
	{name: "ReFS", usage: usageFilesystem, magics: []magic{{"\x00\x00\x00ReFS\x00", 0, 0}}},
	{name: "cramfs", usage: usageFilesystem, magics: []magic{{"\x45\x3d\xcd\x28", 0, 0}, {"\x28\xcd\x3d\x45", 0, 0}}},
	{name: "romfs", usage: usageFilesystem, magics: []magic{{"-rom1fs-", 0, 0}}},
	{name: "minix", usage: usageFilesystem, magics: []magic{{"\x7f\x13", 1, 0x10}, {"\x8f\x13", 1, 0x10}, {"\x13\x7f", 1, 0x10}, {"\x13\x8f", 1, 0x10}, {"\x68\x24", 1, 0x10}, {"\x78\x24", 1, 0x10}, {"\x24\x68", 1, 0x10}, {"\x24\x78", 1, 0x10}, {"\x5a\x4d", 1, 0x18}, {"\x4d\x5a", 1, 0x18}}},
	{name: "gfs", usage: usageFilesystem, minsz: 32 << 20, magics: []magic{{"\x01\x16\x19\x70", 64, 0}}},
	{name: "gfs2", usage: usageFilesystem, minsz: 32 << 20, magics: []magic{{"\x01\x16\x19\x70", 64, 0}}},
	{name: "ocfs", usage: usageFilesystem, minsz: 14000 * 1024, magics: []magic{{"OracleCFS", 8, 0}}},
	{name: "ocfs2", usage: usageFilesystem, minsz: 14000 * 1024, magics: []magic{{"OCFSV2", 1, 0}, {"OCFSV2", 2, 0}, {"OCFSV2", 4, 0}, {"OCFSV2", 8, 0}}},
	{name: "oracleasm", usage: usageFilesystem, magics: []magic{{"ORCLDISK", 0, 32}}},
	{name: "vxfs", usage: usageFilesystem, magics: []magic{{"\xf5\xfc\x01\xa5", 1, 0}, {"\xa5\x01\xfc\xf5", 8, 0}}},
	{name: "squashfs", usage: usageFilesystem, magics: []magic{{"hsqs", 0, 0}}, probe: probeSquashfs},
	{name: "squashfs3", usage: usageFilesystem, magics: magicsSquashfs3, probe: probeSquashfs3},
	{name: "nss", usage: usageFilesystem, magics: []magic{{"SPB5", 4, 0}}},
	{name: "btrfs", usage: usageFilesystem, minsz: 1 << 20, magics: []magic{{"_BHRfS_M", 64, 0x40}}, probe: probeBtrfs},
	{name: "ubifs", usage: usageFilesystem, magics: []magic{{"\x31\x18\x10\x06", 0, 0}}},
	{name: "bfs", usage: usageFilesystem, magics: []magic{{"\xce\xfa\xad\x1b", 0, 0}}},
	{name: "VMFS", usage: usageFilesystem, magics: []magic{{"\x5e\xf1\xab\x2f", 2048, 0}}},
	{name: "befs", usage: usageFilesystem, minsz: 1024 * 1440, magics: []magic{{"BFS1", 0, 0x20}, {"1SFB", 0, 0x20}, {"BFS1", 0, 0x220}, {"1SFB", 0, 0x220}}},
	{name: "nilfs2", usage: usageFilesystem, minsz: 1 << 20, sniff: sniffNILFS},
	{name: "exfat", usage: usageFilesystem, magics: []magic{{"EXFAT   ", 0, 3}}, probe: probeExFAT},
	{name: "f2fs", usage: usageFilesystem, magics: []magic{{"\x10\x20\xf5\xf2", 1, 0}}, probe: probeF2FS},
	{name: "mpool", usage: usageFilesystem, magics: []magic{{"mpoolDev", 0, 0}}},
	{name: "apfs", usage: usageFilesystem, magics: []magic{{"NXSB", 0, 32}}},
	{name: "zonefs", usage: usageFilesystem, magics: []magic{{"SFOZ", 0, 0}}},
	{name: "erofs", usage: usageFilesystem, magics: []magic{{"\xe2\xe1\xf5\xe0", 1, 0}}, probe: probeEROFS},
}

// The swap and swsuspend signatures sit at the end of the first page, for pages of
// 4 to 64 KiB (libblkid's swap.c lists each).
var magicsSwap = []magic{
	{"SWAP-SPACE", 0, 0xff6}, {"SWAPSPACE2", 0, 0xff6},
	{"SWAP-SPACE", 0, 0x1ff6}, {"SWAPSPACE2", 0, 0x1ff6},
	{"SWAP-SPACE", 0, 0x3ff6}, {"SWAPSPACE2", 0, 0x3ff6},
	{"SWAP-SPACE", 0, 0x7ff6}, {"SWAPSPACE2", 0, 0x7ff6},
	{"SWAP-SPACE", 0, 0xfff6}, {"SWAPSPACE2", 0, 0xfff6},
}

const toiMagic = "\xed\xc3\x02\xe9\x98\x56\xe5\x0c" // TuxOnIce

var magicsSwsuspend = []magic{
	{toiMagic, 0, 0},
	{"S1SUSPEND", 0, 0xff6}, {"S2SUSPEND", 0, 0xff6}, {"ULSUSPEND", 0, 0xff6}, {"LINHIB0001", 0, 0xff6},
	{"S1SUSPEND", 0, 0x1ff6}, {"S2SUSPEND", 0, 0x1ff6}, {"ULSUSPEND", 0, 0x1ff6}, {"LINHIB0001", 0, 0x1ff6},
	{"S1SUSPEND", 0, 0x3ff6}, {"S2SUSPEND", 0, 0x3ff6}, {"ULSUSPEND", 0, 0x3ff6}, {"LINHIB0001", 0, 0x3ff6},
	{"S1SUSPEND", 0, 0x7ff6}, {"S2SUSPEND", 0, 0x7ff6}, {"ULSUSPEND", 0, 0x7ff6}, {"LINHIB0001", 0, 0x7ff6},
	{"S1SUSPEND", 0, 0xfff6}, {"S2SUSPEND", 0, 0xfff6}, {"ULSUSPEND", 0, 0xfff6}, {"LINHIB0001", 0, 0xfff6},
}

// idmag finds the first of id's magic strings on the device (blkid_probe_get_idmag):
// each is looked for in the KiB at its kboff, which must lie inside the device. A type
// without magic strings always matches (its probe decides).
func (p *prober) idmag(magics []magic) (*magic, bool, error) {
	if len(magics) == 0 {
		return nil, true, nil
	}
	for i := range magics {
		m := &magics[i]
		off := (m.kboff + m.sboff>>10) << 10
		if !p.fits(off, 1024) {
			continue
		}
		ok, err := p.match(off+m.sboff&0x3ff, m.magic)
		if err != nil {
			return nil, false, err
		}
		if ok {
			return m, true, nil
		}
	}
	return nil, false, nil
}

// sbOff is where a superblock found by m starts (blkid_probe_get_sb).
func sbOff(m *magic) int64 { return m.kboff << 10 }

// superblocks runs libblkid's superblocks chain as superblocks_safeprobe: every
// prober in order; the first RAID or crypto signature ends the search; two signatures
// of which one is not tolerant are Ambivalent; else the first one's values stay.
func (p *prober) superblocks(res *Result) (Status, error) {
	size := p.t.Size
	if size <= 1024 {
		return Identified, nil // extended partitions and other stubs
	}
	count, intol := 0, 0
	var first []value
	var kept *idinfo // the signature whose values are reported
	saved := false
	for _, id := range superblocks {
		if id.minsz > 0 && id.minsz > size {
			continue
		}
		if id.usage&usageRAID != 0 && p.tiny() {
			continue
		}
		m, ok, err := p.idmag(id.magics)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if id.probe == nil {
			hit := true
			if id.sniff != nil {
				if hit, err = id.sniff(p); err != nil {
					return 0, err
				}
			}
			if hit {
				return 0, &errForeign{foreignReason(id.name, count > 0)}
			}
			continue
		}
		ok, err = id.probe(p, m)
		if err == nil {
			err = p.err
		}
		if err != nil {
			return 0, err
		}
		if !ok {
			p.resetChain(chainSuperblocks)
			continue
		}
		p.set("TYPE", []byte(id.name))
		p.set("USAGE", []byte(id.usage.String()))
		if id.name == "zfs_member" {
			res.Type = id.name
			return 0, &errForeign{"zfs_member: ZFS labels (the pool name and GUIDs are left to blkid)"}
		}
		if p.tiny() && count == 0 {
			return Identified, nil // a floppy: the first signature is the answer
		}
		count++
		if count == 1 {
			kept = id
			res.Type = id.name
		}
		if id.usage&(usageRAID|usageCrypto) != 0 {
			break
		}
		if !id.tolerant {
			intol++
		}
		if count == 1 {
			first, p.values, saved = p.values, nil, true
		} else {
			p.resetChain(chainSuperblocks)
		}
	}
	if count > 1 && intol > 0 {
		res.Reason = fmt.Sprintf("%d signatures, %s first", count, res.Type)
		return Ambivalent, nil
	}
	if saved {
		p.values = first
	}
	// A RAID member's partition table is the array's (BLKID_PROBE_FL_IGNORE_PT).
	p.ignorePT = kept != nil && kept.usage&usageRAID != 0
	return Identified, nil
}

func foreignReason(name string, after bool) string {
	if after {
		return "a second signature that may be " + name
	}
	return "a signature that may be " + name
}

// tailSector is the offset of the n-th 512-byte sector from the end.
func (p *prober) tailSector(n int64) int64 { return (p.t.Size/0x200 - n) * 0x200 }

// sniffWholeOrFile: RAID metadata is looked for on whole disks and image files only.
func sniffWholeOrFile(p *prober) (bool, error) { return p.wholeOrFile(), nil }

// tailMagic: a RAID's magic at offset off in the n-th sector from the end of a whole
// disk or file of at least minsz bytes (isw, lsi, via, silicon, nvidia, adaptec,
// jmicron: the sniffs below).
func (p *prober) tailMagic(minsz, n, off int64, magic string) (bool, error) {
	if p.t.Size < minsz || !p.wholeOrFile() {
		return false, nil
	}
	return p.match(p.tailSector(n)+off, magic)
}

func sniffISW(p *prober) (bool, error)     { return p.tailMagic(0x10000, 2, 0, "Intel Raid ISM Cfg Sig. ") }
func sniffLSI(p *prober) (bool, error)     { return p.tailMagic(0x10000, 1, 0, "$XIDE$") }
func sniffVIA(p *prober) (bool, error)     { return p.tailMagic(0x10000, 1, 0, "\x55\xaa") }
func sniffSilicon(p *prober) (bool, error) { return p.tailMagic(0x10000, 1, 96, "\x00\x00\x00\x2f") }
func sniffNvidia(p *prober) (bool, error)  { return p.tailMagic(0x10000, 2, 0, "NVIDIA") }
func sniffAdaptec(p *prober) (bool, error) { return p.tailMagic(0x10000, 1, 256, "DPTM") }
func sniffJMicron(p *prober) (bool, error) { return p.tailMagic(0x10000, 1, 0, "JM") }

// u32s are the 4-byte encodings of v in both byte orders.
func u32s(v uint32) []string {
	var l, b [4]byte
	le.PutUint32(l[:], v)
	be.PutUint32(b[:], v)
	return []string{string(l[:]), string(b[:])}
}

func sniffDDF(p *prober) (bool, error) {
	if p.t.Size < 0x30000 {
		return false, nil
	}
	for _, n := range []int64{1, 257} {
		if ok, err := p.match(p.tailSector(n), u32s(0xDE11DE11)...); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func sniffPromise(p *prober) (bool, error) {
	if p.t.Size < 0x40000 || !p.wholeOrFile() {
		return false, nil
	}
	n := p.t.Size >> 9
	for _, s := range []int64{63, 255, 256, 16, 399, 591, 675, 735, 911, 974, 991, 951, 3087} {
		if n < s {
			return false, nil
		}
		if ok, err := p.match((n-s)<<9, "Promise Technology, Inc."); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func sniffHPT45x(p *prober) (bool, error) {
	if p.t.Size < 0x10000 || !p.wholeOrFile() {
		return false, nil
	}
	return p.match(p.tailSector(11), u32s(0x5a7816f3)[0], u32s(0x5a7816fd)[0])
}

func sniffDRBD(p *prober) (bool, error) {
	if p.t.Size < 0x10000 {
		return false, nil
	}
	return p.match(p.t.Size-4096+60, u32s(0x83740267 + 4)[1], u32s(0x83740267 + 5)[1], u32s(0x83740267 + 6)[1])
}

// sniffXFSLog: an XFS external log has a log record header (magic 0xFEEDBABE) in one
// of the first 512 sectors, before any XFS superblock.
func sniffXFSLog(p *prober) (bool, error) {
	if !p.fits(0, 256*1024) {
		return false, nil
	}
	_ = p.prefetch(0, 256*1024)
	for i := int64(0); i < 512; i++ {
		if xfs, err := p.match(i*512, "XFSB"); xfs || err != nil {
			return false, err
		}
		if log, err := p.match(i*512, u32s(0xFEEDBABE)[1]); log || err != nil {
			return log, err
		}
	}
	return false, nil
}

// sniffUDF: UDF needs an NSR02 or NSR03 descriptor in the volume recognition
// sequence at 32 KiB, in 2048-byte or (for 4096-byte blocks) 4096-byte steps.
func sniffUDF(p *prober) (bool, error) {
	for _, step := range []int64{2048, 4096} {
		for b := int64(0); b < 64; b++ {
			id, err := p.get(0x8000+b*step+1, 5)
			if err != nil || id == nil {
				return false, err
			}
			if id[0] == 0 {
				break
			}
			s := string(id)
			if s == "NSR02" || s == "NSR03" {
				return true, nil
			}
			if s != "BEA01" && s != "BOOT2" && s != "CD001" && s != "CDW02" && s != "TEA01" {
				break
			}
		}
	}
	return false, nil
}

func sniffUFS(p *prober) (bool, error) {
	var mags []string
	for _, m := range []uint32{0x19540119, 0x00011954, 0x00195612, 0x00095014, 0x00612195, 0x05231994} {
		mags = append(mags, u32s(m)...)
	}
	for _, kb := range []int64{0, 8, 64, 256} {
		if !p.fits(kb*1024, 1377) {
			return false, nil
		}
		if ok, err := p.match(kb*1024+1372, mags...); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func sniffSysV(p *prober) (bool, error) {
	for _, blk := range []int64{0, 9, 15, 18} {
		off := blk*1024 + 512
		if !p.fits(off, 512) {
			return false, nil
		}
		if ok, err := p.match(off+504, u32s(0xfd187e20)...); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// sniffNILFS: the NILFS2 magic in the primary superblock (1 KiB) or the backup one
// (8 sectors before the end).
func sniffNILFS(p *prober) (bool, error) {
	for _, off := range []int64{0x400, p.tailSector(8)} {
		if ok, err := p.match(off+6, "\x34\x34"); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// bitlocker headers (libblkid/src/superblocks/bitlocker.c), also checked by the
// vfat and ntfs probers.
const (
	bdeMagicVista = "\xeb\x52\x90-FVE-FS-"
	bdeMagicWin7  = "\xeb\x58\x90-FVE-FS-"
	bdeMagicToGo  = "\xeb\x58\x90MSWIN4.1"
)

// isBitLocker is blkid_probe_is_bitlocker: a BitLocker boot sector whose FVE
// metadata offset points at a "-FVE-FS-" header (Vista's needs no metadata check).
func (p *prober) isBitLocker() (bool, error) {
	if !p.fits(0, 512) {
		return false, nil
	}
	var at int64
	for _, h := range []struct {
		magic string
		at    int64
	}{{bdeMagicVista, 0}, {bdeMagicWin7, 176}, {bdeMagicToGo, 440}} {
		ok, err := p.match(0, h.magic)
		if err != nil {
			return false, err
		}
		if ok {
			if h.at == 0 {
				return true, nil // Vista's has no metadata offset
			}
			at = h.at
			break
		}
	}
	if at == 0 {
		return false, nil
	}
	b, err := p.get(at, 8)
	if err != nil {
		return false, err
	}
	off := le.Uint64(b)
	if off == 0 || off > uint64(p.t.Size) {
		return false, nil
	}
	if !p.fits(int64(off), 12) {
		return false, nil
	}
	return p.match(int64(off), "-FVE-FS-")
}
