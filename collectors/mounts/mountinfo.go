// Package mounts reads the mount table (/proc/self/mountinfo, or /proc/self/mounts in
// older snapshots), classifies each mount, collapses bind and repeated mounts into one
// filesystem with its primary mount point, and turns statfs answers into usage.
// See README.md.
package mounts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// MountInfo is one line of /proc/<pid>/mountinfo (see proc(5)).
type MountInfo struct {
	ID, ParentID  int
	Major, Minor  uint32
	Root          string // the path inside the filesystem that is mounted here
	MountPoint    string
	Options       string // per-mount options
	Optional      []string
	FSType        string
	Source        string
	SuperOptions  string
	fromMountsTab bool
}

// MajMin formats the device number as "8:1".
func (m MountInfo) MajMin() string { return fmt.Sprintf("%d:%d", m.Major, m.Minor) }

// HasDevNum reports whether the entry came with a device number (mountinfo does,
// /proc/mounts does not).
func (m MountInfo) HasDevNum() bool { return !m.fromMountsTab }

// SuperOption returns the value of a super option such as "subvolid" (ok=false if absent).
func (m MountInfo) SuperOption(name string) (string, bool) {
	for _, o := range strings.Split(m.SuperOptions, ",") {
		k, v, _ := strings.Cut(o, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// ErrFormat is wrapped by every parse failure.
var ErrFormat = errors.New("malformed mount table")

// Read reads the host's mount table: /proc/self/mountinfo, falling back to
// /proc/self/mounts and /proc/mounts (which lack device numbers and roots).
func Read(fsys platform.FS) ([]MountInfo, error) {
	return ReadTable(fsys, "")
}

// ReadTable is Read with another mountinfo file first: /proc/1/mountinfo, the mount
// table of the host's init, for a process in a mount namespace of its own (a service
// under systemd's ProtectSystem, ProtectHome or PrivateTmp sees extra mounts in its
// own). "" is /proc/self/mountinfo.
func ReadTable(fsys platform.FS, mountinfo string) ([]MountInfo, error) {
	if mountinfo == "" {
		mountinfo = "/proc/self/mountinfo"
	}
	b, err := fsys.ReadFile(mountinfo)
	if err == nil {
		return ParseMountInfo(b)
	}
	for _, p := range []string{"/proc/self/mounts", "/proc/mounts"} {
		if b, err2 := fsys.ReadFile(p); err2 == nil {
			return ParseMounts(b)
		}
	}
	return nil, err
}

// ParseMountInfo parses /proc/<pid>/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Paths have space, tab, newline and backslash escaped as \040, \011, \012 and \134.
func ParseMountInfo(b []byte) ([]MountInfo, error) {
	var out []MountInfo
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMountInfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrFormat, n+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMountInfoLine(line string) (MountInfo, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 7 || sep < 0 || len(f) < sep+3 {
		return MountInfo{}, fmt.Errorf("%d fields, want at least 10 with a \"-\" separator", len(f))
	}
	var m MountInfo
	var err error
	if m.ID, err = strconv.Atoi(f[0]); err != nil {
		return m, fmt.Errorf("mount id %q", f[0])
	}
	if m.ParentID, err = strconv.Atoi(f[1]); err != nil {
		return m, fmt.Errorf("parent id %q", f[1])
	}
	maj, min, ok := strings.Cut(f[2], ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return m, fmt.Errorf("device %q is not major:minor", f[2])
	}
	m.Major, m.Minor = uint32(ma), uint32(mi)
	m.Root = Unescape(f[3])
	m.MountPoint = Unescape(f[4])
	m.Options = f[5]
	m.Optional = append([]string(nil), f[6:sep]...)
	m.FSType = Unescape(f[sep+1])
	m.Source = Unescape(f[sep+2])
	if len(f) > sep+3 {
		m.SuperOptions = f[sep+3]
	}
	return m, nil
}

// ParseMounts parses /proc/mounts (fstab format: source, mount point, type, options,
// dump, pass). It has no device numbers or roots: Root is "/" and the numbers 0.
func ParseMounts(b []byte) ([]MountInfo, error) {
	var out []MountInfo
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("%w: line %d: %d fields, want at least 4", ErrFormat, n+1, len(f))
		}
		out = append(out, MountInfo{
			ID: n + 1, Source: Unescape(f[0]), MountPoint: Unescape(f[1]), FSType: Unescape(f[2]),
			Options: f[3], SuperOptions: f[3], Root: "/", fromMountsTab: true,
		})
	}
	return out, nil
}

// Unescape decodes the octal escapes the kernel writes in mount tables (\040 space,
// \011 tab, \012 newline, \134 backslash; any \ooo in general).
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
