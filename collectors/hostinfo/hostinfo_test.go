package hostinfo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

func TestReadGhwSnapshot(t *testing.T) {
	c := capturetest.Open(t, "../../testdata/hosts/ghw-linux-amd64-8581cf3a529e5d8b97ea876eade2f60d.tar.gz")
	info, errs := Read(platform.NewFS(c.Dir))
	// The snapshot has /proc/meminfo and /proc/cpuinfo but no hostname, kernel, arch or
	// os-release, and no /sys/devices/system/cpu/online. A missing arch is no error
	// (Linux < 6.1 has none; the caller asks uname).
	if info.MemoryBytes != 65921280*1024 {
		t.Errorf("memory = %d; want MemTotal 65921280 kB", info.MemoryBytes)
	}
	if info.CPUs != 24 {
		t.Errorf("CPUs = %d; want 24 processor entries", info.CPUs)
	}
	if info.Firmware != "BIOS" {
		t.Errorf("firmware = %q; want BIOS (no /sys/firmware/efi in the snapshot)", info.Firmware)
	}
	if len(errs) != 3 || info.Arch != "" {
		t.Errorf("errors = %v, arch %q; want 3 (hostname, osrelease, os-release) and no arch", errs, info.Arch)
	}
}

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		in   string
		want OSRelease
	}{
		{`PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`, OSRelease{ID: "debian", Name: "Debian GNU/Linux", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}},
		{`NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
# comment
`, OSRelease{ID: "centos", IDLike: "rhel fedora", Name: "CentOS Linux", VersionID: "7", PrettyName: "CentOS Linux 7 (Core)"}},
		{`NAME='Quoted \"x\"'` + "\nID=x\n", OSRelease{ID: "x", Name: `Quoted "x"`}},
	}
	for _, tt := range tests {
		if got := ParseOSRelease([]byte(tt.in)); got != tt.want {
			t.Errorf("got %+v; want %+v", got, tt.want)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string]int{"0-1\n": 2, "0": 1, "0-3,8-11": 8, "0,2,4-5": 4} {
		if got, err := ParseCPUList([]byte(in)); err != nil || got != want {
			t.Errorf("ParseCPUList(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "3-1", "a", "1-"} {
		if _, err := ParseCPUList([]byte(bad)); err == nil {
			t.Errorf("ParseCPUList(%q): no error", bad)
		}
	}
}

// TestCountCPUInfo: x86 and arm64 /proc/cpuinfo from the ghw snapshots (24 and 1
// processors), and an old 32-bit ARM layout whose "Processor" line is the model name.
func TestCountCPUInfo(t *testing.T) {
	for _, tc := range []struct {
		snapshot string
		want     int
	}{
		{"ghw-linux-amd64-8581cf3a529e5d8b97ea876eade2f60d.tar.gz", 24},
		{"ghw-linux-arm64-c288e0776090cd558ef793b2a4e61939.tar.gz", 1},
	} {
		c := capturetest.Open(t, "../../testdata/hosts/"+tc.snapshot)
		b, err := platform.NewFS(c.Dir).ReadFile("/proc/cpuinfo")
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := CountCPUInfo(b); got != tc.want {
			t.Errorf("%s: %d processors; want %d", tc.snapshot, got, tc.want)
		}
	}
	armv7 := "Processor\t: ARMv7 Processor rev 4 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 38.40\n\nprocessor\t: 1\nBogoMIPS\t: 38.40\n"
	if got := CountCPUInfo([]byte(armv7)); got != 2 {
		t.Errorf("ARMv7 layout: %d processors; want 2", got)
	}
}

func FuzzCountCPUInfo(f *testing.F) {
	f.Add([]byte("processor\t: 0\nBogoMIPS\t: 243.75\n\nprocessor\t: 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := CountCPUInfo(b); n < 0 || n > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d processors in %d lines", n, bytes.Count(b, []byte("\n"))+1)
		}
	})
}

func TestParseMemTotal(t *testing.T) {
	if v, err := ParseMemTotal([]byte("MemTotal:       24684084 kB\nMemFree: 1 kB\n")); err != nil || v != 24684084*1024 {
		t.Errorf("got %d, %v", v, err)
	}
	if _, err := ParseMemTotal([]byte("MemFree: 1 kB\n")); err == nil {
		t.Error("no MemTotal: no error")
	}
	// kB that overflow int64 once multiplied by 1024 (it came out as -1024 before).
	if v, err := ParseMemTotal([]byte("MemTotal: 9223372036854775807 kB\n")); err == nil {
		t.Errorf("overflowing MemTotal: %d, no error", v)
	}
}

// FuzzParseOSRelease: what is read, written back as os-release(5) lines with quoted
// and escaped values, reads back the same.
func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("# c\nNAME='Red Hat'\nPRETTY_NAME=\"a \\\"b\\\" \\\\ $c\"\nID_LIKE=\"rhel fedora\nID=\nID=x=y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o := ParseOSRelease(b)
		esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
		var w strings.Builder
		for _, kv := range [][2]string{{"ID", o.ID}, {"ID_LIKE", o.IDLike}, {"NAME", o.Name}, {"VERSION_ID", o.VersionID}, {"PRETTY_NAME", o.PrettyName}} {
			if strings.Contains(kv[1], "\n") {
				t.Fatalf("%s holds a newline: %q", kv[0], kv[1])
			}
			w.WriteString(kv[0] + `="` + esc.Replace(kv[1]) + "\"\n")
		}
		if back := ParseOSRelease([]byte(w.String())); back != o {
			t.Fatalf("written back as %q and read again: %+v; want %+v", w.String(), back, o)
		}
	})
}

func FuzzParseCPUList(f *testing.F) {
	f.Add([]byte("0-3,8-11"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseCPUList(b); err == nil && n <= 0 {
			t.Fatalf("%d CPUs without error", n)
		}
	})
}

func FuzzParseMemTotal(f *testing.F) {
	f.Add([]byte("MemTotal:       24684084 kB\n"))
	f.Add([]byte("MemTotal: 9223372036854775807 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := ParseMemTotal(b); err == nil && v < 0 {
			t.Fatal("negative memory")
		}
	})
}
