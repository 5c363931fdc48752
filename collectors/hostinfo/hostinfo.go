// Package hostinfo reads host facts: hostname, kernel, architecture, OS release,
// firmware type, CPU count and memory. See README.md.
package hostinfo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// Info is the host facts. Unknown values are empty or zero; Errors says why.
type Info struct {
	Hostname    string
	Kernel      string
	Arch        string
	OS          OSRelease
	Firmware    string // UEFI or BIOS
	CPUs        int
	MemoryBytes int64
}

// OSRelease holds the /etc/os-release fields the agent uses.
type OSRelease struct {
	ID, IDLike, Name, VersionID, PrettyName string
}

// Read reads every fact; a fact that cannot be read is left empty and its error returned.
func Read(fsys platform.FS) (Info, []error) {
	var info Info
	var errs []error
	var err error
	if info.Hostname, err = fsys.ReadString("/proc/sys/kernel/hostname"); err != nil {
		errs = append(errs, err)
	}
	if info.Kernel, err = fsys.ReadString("/proc/sys/kernel/osrelease"); err != nil {
		errs = append(errs, err)
	}
	// The sysctl exists since Linux 6.1: its absence is not an error here; the caller
	// asks `uname -m` when Arch is empty.
	info.Arch, _ = fsys.ReadString("/proc/sys/kernel/arch")
	b, err := fsys.ReadFile("/etc/os-release")
	if err != nil {
		var err2 error
		if b, err2 = fsys.ReadFile("/usr/lib/os-release"); err2 == nil {
			err = nil
		}
	}
	if err != nil {
		errs = append(errs, err)
	} else {
		info.OS = ParseOSRelease(b)
	}
	info.Firmware = "BIOS"
	if fsys.Exists("/sys/firmware/efi") {
		info.Firmware = "UEFI"
	}
	if b, err := fsys.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		if info.CPUs, err = ParseCPUList(b); err != nil {
			errs = append(errs, fmt.Errorf("read /sys/devices/system/cpu/online: %w", err))
		}
	} else if b, err2 := fsys.ReadFile("/proc/cpuinfo"); err2 == nil {
		info.CPUs = CountCPUInfo(b)
	} else {
		errs = append(errs, err)
	}
	if b, err := fsys.ReadFile("/proc/meminfo"); err != nil {
		errs = append(errs, err)
	} else if info.MemoryBytes, err = ParseMemTotal(b); err != nil {
		errs = append(errs, fmt.Errorf("read /proc/meminfo: %w", err))
	}
	return info, errs
}

// ParseOSRelease parses os-release(5): KEY=value lines, values optionally quoted.
func ParseOSRelease(b []byte) OSRelease {
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		kv[k] = unquote(v)
	}
	return OSRelease{ID: kv["ID"], IDLike: kv["ID_LIKE"], Name: kv["NAME"], VersionID: kv["VERSION_ID"], PrettyName: kv["PRETTY_NAME"]}
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
		if strings.Contains(v, `\`) {
			var b strings.Builder
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			v = b.String()
		}
	}
	return v
}

// ParseCPUList counts the CPUs in a sysfs CPU list such as "0-3,8-11" or "0".
func ParseCPUList(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, fmt.Errorf("empty CPU list")
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("bad CPU list %q", s)
		}
		c := a
		if isRange {
			if c, err = strconv.Atoi(hi); err != nil || c < a {
				return 0, fmt.Errorf("bad CPU list %q", s)
			}
		}
		n += c - a + 1
	}
	return n, nil
}

// CountCPUInfo counts "processor" entries in /proc/cpuinfo.
func CountCPUInfo(b []byte) int {
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "processor" {
			n++
		}
	}
	return n
}

// ParseMemTotal returns MemTotal from /proc/meminfo in bytes.
func ParseMemTotal(b []byte) (int64, error) {
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("MemTotal %q is not a number", f[0])
		}
		if len(f) > 1 && f[1] == "kB" {
			if v > math.MaxInt64/1024 {
				return 0, fmt.Errorf("MemTotal %s kB is out of range", f[0])
			}
			v *= 1024
		}
		return v, nil
	}
	return 0, fmt.Errorf("no MemTotal line")
}
