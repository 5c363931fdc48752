package lowprobe

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Byte-level helpers with libblkid's exact semantics.

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// text encodings of labels (lib/encode.c UL_ENCODE_*)
type encoding int

const (
	utf16le encoding = iota
	utf16be
)

// encodeUTF8 is util-linux's ul_encode_to_utf8 into a buffer of dlen bytes: UTF-16
// code units (with surrogate pairs) to UTF-8, stopping at a NUL character or when the
// next character does not fit before the buffer's last byte.
func encodeUTF8(enc encoding, src []byte, dlen int) []byte {
	out := make([]byte, 0, len(src)*3/2)
	count := len(src)
	for i := 0; i < count; i++ {
		if i+2 > count {
			break
		}
		var c uint32
		if enc == utf16le {
			c = uint32(src[i+1])<<8 | uint32(src[i])
		} else {
			c = uint32(src[i])<<8 | uint32(src[i+1])
		}
		i++
		if c >= 0xD800 && c <= 0xDBFF && i+2 < count {
			var c2 uint32
			if enc == utf16le {
				c2 = uint32(src[i+2])<<8 | uint32(src[i+1])
			} else {
				c2 = uint32(src[i+1])<<8 | uint32(src[i+2])
			}
			if c2 >= 0xDC00 && c2 <= 0xDFFF {
				c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00)
				i += 2
			}
		}
		if c == 0 {
			break
		}
		j := len(out)
		switch {
		case c < 0x80:
			if j+1 >= dlen {
				return out
			}
			out = append(out, byte(c))
		case c < 0x800:
			if j+2 >= dlen {
				return out
			}
			out = append(out, byte(0xc0|c>>6), byte(0x80|c&0x3f))
		case c < 0x10000:
			if j+3 >= dlen {
				return out
			}
			out = append(out, byte(0xe0|c>>12), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
		default:
			if j+4 >= dlen {
				return out
			}
			out = append(out, byte(0xf0|c>>18), byte(0x80|(c>>12)&0x3f), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
		}
	}
	return out
}

// isSpace is C isspace() in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// cstring is b up to its first NUL byte.
func cstring(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// rtrim is util-linux's rtrim_whitespace: the C string in b without trailing spaces.
func rtrim(b []byte) []byte {
	b = cstring(b)
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// ltrim drops leading spaces.
func ltrim(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// unparseUUID is blkid_unparse_uuid: 16 bytes as 8-4-4-4-12 lower-case hex.
func unparseUUID(u []byte) string {
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15])
}

// swapGUID turns a little-endian EFI GUID into the byte order of a DCE UUID.
func swapGUID(g []byte) []byte {
	u := append([]byte(nil), g[:16]...)
	u[0], u[1], u[2], u[3] = g[3], g[2], g[1], g[0]
	u[4], u[5] = g[5], g[4]
	u[6], u[7] = g[7], g[6]
	return u
}

// exportValue is blkid's safe_print for `-o export`: bytes ≥ 128 as "M-" plus the
// low 7 bits, control characters as "^X", and the shell's special characters
// (space \ " ' $ ` < >) escaped with a backslash.
func exportValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 128 {
			b.WriteString("M-")
			c -= 128
		}
		if c < 32 || c == 0x7f {
			b.WriteByte('^')
			c ^= 0x40
		} else if strings.IndexByte(" \\\"'$`<>", c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isPowerOf2(n uint64) bool { return n != 0 && n&(n-1) == 0 }
