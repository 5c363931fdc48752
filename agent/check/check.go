// Package check is the preflight: small pure checks of a source host's inventory, its
// host facts and the migration plan, each saying OK, WARN or ERROR, with SMS's error
// code where SMS has one, what was found, and what to do. docs/checks.md lists every
// check and its source.
package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
)

// Level is a check's verdict.
type Level string

// Levels. An ERROR stops `source register` and `task create` (unless --force).
const (
	OK    Level = "OK"
	Warn  Level = "WARN"
	Error Level = "ERROR"
)

// Result is one line of `sms-agent check`.
type Result struct {
	Check string `json:"check"` // the check's name (docs/checks.md)
	Level Level  `json:"level"`
	Code  string `json:"code,omitempty"` // SMS's error code for the same condition
	Found string `json:"found"`          // what was found
	Fix   string `json:"fix,omitempty"`  // what to do
	// Subjects are the mount points, devices or volumes the line is about.
	Subjects []string `json:"subjects,omitempty"`
}

// String is the line as printed: "ERROR SMS.1351 /var has 512K free: free at least 1M".
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(string(r.Level))
	if r.Code != "" {
		b.WriteString(" " + r.Code)
	}
	b.WriteString(" " + r.Found)
	if r.Fix != "" {
		b.WriteString(": " + r.Fix)
	}
	return b.String()
}

// Input is what the checks read.
type Input struct {
	Plan  *sms.Plan     // the migration's layout (its inventory is Plan.Inv)
	Facts sms.HostFacts // host facts; unknown ones make WARN lines
	Type  string        // the task type: MIGRATE_FILE ("") or MIGRATE_BLOCK
	// Clock is the endpoint's clock compared with this host's, when online.
	Clock *Clock
}

// Clock is one reading of the SMS endpoint's clock.
type Clock struct {
	Endpoint string
	Local    time.Time // this host's clock when the answer arrived
	Server   time.Time // the answer's Date header
	Err      error     // no answer (the check is a WARN)
}

// A checker is one check: it returns its lines, none when it does not apply.
type checker struct {
	name string
	os   string // sms.OSLinux or sms.OSWindows: the sources it applies to; "" both
	run  func(in Input) []Result
}

// checkers are every check, in the order they print.
func checkers() []checker {
	linux, windows := sms.OSLinux, sms.OSWindows
	return []checker{
		{"root", "", checkRoot},
		{"boot-mounts", linux, checkBootMounts},
		{"layout", linux, checkLayout},
		{"mounts", "", checkMounts},
		{"unopened", linux, checkUnopened},
		{"dynamic-disk", windows, checkDynamicDisks},
		{"bitlocker", windows, checkBitLocker},
		{"storage-spaces", windows, checkStorageSpaces},
		{"disk-count", "", checkDiskCount},
		{"system-disk", "", checkSystemDisk},
		{"disk-size", linux, checkDiskSize},
		{"vg-size", linux, checkVGSize},
		{"root-free", linux, checkRootFree},
		{"mount-free", linux, checkMountFree},
		{"tmp-exec", linux, checkTmpExec},
		{"initramfs", linux, checkInitramfs},
		{"grub", linux, checkGrub},
		{"virtio", linux, checkVirtio},
		{"rsync", linux, checkRsync},
		{"tc", linux, checkTc},
		{"xen-pv", linux, checkXenPV},
		{"admin", windows, checkAdmin},
		{"vss", windows, checkVSS},
		{"drivers", windows, checkDrivers},
		{"arch", "", checkArch},
		{"selinux", linux, checkSELinux},
		{"clock", "", checkClock},
	}
}

// osOf is the source's OS type: WINDOWS, else LINUX.
func osOf(in Input) string {
	if inv(in).Host.OSType == sms.OSWindows {
		return sms.OSWindows
	}
	return sms.OSLinux
}

// Run runs every check.
func Run(in Input) []Result {
	var out []Result
	for _, c := range checkers() {
		if c.os != "" && c.os != osOf(in) {
			continue
		}
		for _, r := range c.run(in) {
			r.Check = c.name
			out = append(out, r)
		}
	}
	return out
}

// Errors counts the ERROR lines.
func Errors(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Level == Error {
			n++
		}
	}
	return n
}

func ok(found string, subjects ...string) []Result {
	return []Result{{Level: OK, Found: found, Subjects: subjects}}
}

func inv(in Input) *inventory.Inventory { return in.Plan.Inv }

// human is a byte count as lsblk prints it (1.5G).
func human(n int64) string { return inventory.HumanSize(n) }

// list joins names, at most max of them, saying how many more there are.
func list(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
