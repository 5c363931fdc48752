package lowprobe

// ISO 9660 with the Joliet extension (libblkid/src/superblocks/iso9660.c): up to 16
// volume descriptors of 2048 bytes from 32 KiB — the boot record (type 0), the primary
// (1) and a Joliet supplementary descriptor (2) — and the old High Sierra format.

const (
	isoSuperOff  = 0x8000
	isoSectorLen = 0x800
	isoDescLen   = 847 // struct iso_volume_descriptor, larger than struct boot_record
)

func probeISO9660(p *prober, m *magic) (bool, error) {
	if m.magic == "CDROM" {
		// High Sierra: struct high_sierra_volume_descriptor at 32 KiB.
		hs := p.view(sbOff(m), 80)
		if hs == nil {
			return false, nil
		}
		p.setBlockSize(isoSectorLen)
		p.setVersion("High Sierra")
		p.setLabel(hs.bytes(48, 32))
		return true, nil
	}
	var boot, pvd, joliet *view
	off := int64(isoSuperOff)
	for i := 0; i < 16 && (boot == nil || pvd == nil || joliet == nil); i, off = i+1, off+isoSectorLen {
		desc := p.view(off, isoDescLen)
		if desc == nil || desc.u8(0) == 0xff { // the set terminator
			break
		}
		switch t := desc.u8(0); {
		case boot == nil && t == 0:
			boot = desc
		case pvd == nil && t == 1:
			pvd = desc
		case joliet == nil && t == 2:
			switch desc.str(88, 3) {
			case "%/@", "%/C", "%/E":
				joliet = desc
			}
		}
	}
	if pvd == nil {
		return false, nil
	}
	p.setBlockSize(isoSectorLen)
	p.isoID("SYSTEM_ID", pvd, joliet, 8, 32, false)
	p.isoID("VOLUME_SET_ID", pvd, joliet, 190, 128, false)
	p.isoID("PUBLISHER_ID", pvd, joliet, 318, 128, true)
	p.isoID("DATA_PREPARER_ID", pvd, joliet, 446, 128, true)
	p.isoID("APPLICATION_ID", pvd, joliet, 574, 128, true)
	if !p.isoDateUUID(pvd.bytes(830, 17)) {
		p.isoDateUUID(pvd.bytes(813, 17))
	}
	if boot != nil {
		p.setIDLabel("BOOT_SYSTEM_ID", boot.bytes(7, 32))
	}
	if joliet != nil {
		p.setVersion("Joliet Extension")
	}
	ascii := pvd.bytes(40, 32)
	switch {
	case joliet != nil:
		u := joliet.bytes(40, 32)
		if merged := mergeUTF16BEASCII(u, ascii); merged != nil {
			p.setUTF8Label(merged, utf16be)
		} else {
			p.setUTF8Label(u, utf16be)
		}
	default:
		p.setLabel(ascii)
	}
	return true, nil
}

// isoID sets an identifier from the primary descriptor's ASCII field, the Joliet
// descriptor's UTF-16BE one, or both merged; with emptyChecks, a field of spaces or
// starting with '_' (a file reference) counts as absent.
func (p *prober) isoID(name string, pvd, joliet *view, off, n int64, emptyChecks bool) {
	ascii := pvd.bytes(off, n)
	var u []byte
	if joliet != nil {
		u = joliet.bytes(off, n)
	}
	if !emptyChecks {
		switch {
		case joliet != nil:
			if merged := mergeUTF16BEASCII(u, ascii); merged != nil {
				p.setUTF8IDLabel(name, merged, utf16be)
			} else {
				p.setUTF8IDLabel(name, u, utf16be)
			}
		default:
			p.setIDLabel(name, ascii)
		}
		return
	}
	asciiEmpty := isStrEmpty(ascii) || ascii[0] == '_'
	unicodeEmpty := joliet == nil || isUTF16BEEmpty(u) || (u[0] == 0 && u[1] == '_')
	if !unicodeEmpty && !asciiEmpty {
		if merged := mergeUTF16BEASCII(u, ascii); merged != nil {
			p.setUTF8IDLabel(name, merged, utf16be)
			return
		}
	}
	switch {
	case !unicodeEmpty:
		p.setUTF8IDLabel(name, u, utf16be)
	case !asciiEmpty:
		p.setIDLabel(name, ascii)
	}
}

// isoDateUUID is probe_iso9660_set_uuid: the 16 digits of a volume date as
// YYYY-MM-DD-HH-MM-SS-hh; false when the date is unset (all '0' and no offset).
func (p *prober) isoDateUUID(date []byte) bool {
	buf := date[:16]
	zeros := 0
	for _, c := range buf {
		if c == '0' {
			zeros++
		}
	}
	if zeros == 16 && date[16] == 0 {
		return false
	}
	if !allZero(buf) {
		u := make([]byte, 0, 22)
		for i, c := range buf {
			if i == 4 || (i > 4 && i%2 == 0) {
				u = append(u, '-')
			}
			u = append(u, c)
		}
		p.set("UUID", u)
	}
	return true
}

func isStrEmpty(s []byte) bool {
	if len(s) == 0 || s[0] == 0 {
		return true
	}
	for _, c := range s {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func isUTF16BEEmpty(u []byte) bool {
	for i := 0; i+1 < len(u); i += 2 {
		if u[i] != 0 || !isSpace(u[i+1]) {
			return false
		}
	}
	return true
}

func cToUpper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// mergeUTF16BEASCII is merge_utf16be_ascii: when the Joliet (UTF-16BE) string is a
// prefix of the ASCII one (ignoring case and '_', which stands for characters ASCII
// cannot hold), the Joliet characters followed by the rest of the ASCII string, as
// UTF-16BE; nil otherwise.
func mergeUTF16BEASCII(utf16, ascii []byte) []byte {
	n := len(ascii)
	var out []byte
	a, u := 0, 0
	for ; u+1 < n && a < n; a, u = a+1, u+2 {
		if utf16[u] >= 0xD8 && utf16[u] <= 0xDB && u+3 < n && utf16[u+2] >= 0xDC && utf16[u+2] <= 0xDF {
			out = append(out, utf16[u], utf16[u+1])
			u += 2
		}
		switch {
		case ascii[a] == '_':
			out = append(out, utf16[u], utf16[u+1])
		case utf16[u] == 0 && utf16[u+1] == '_':
			out = append(out, 0, ascii[a])
		case utf16[u] == 0 && cToUpper(ascii[a]) == cToUpper(utf16[u+1]):
			c := ascii[a]
			if c >= 'A' && c <= 'Z' {
				c = utf16[u+1]
			}
			out = append(out, 0, c)
		default:
			return nil
		}
	}
	for ; a < n; a++ {
		out = append(out, 0, ascii[a])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
