// Package fsid finds what is on a block device — filesystem type, UUID, label, and the
// partition-table facts (scheme, partition type GUID, partition UUID and name) — from
// the udev database when the host has one, else in-process (collectors/lowprobe), else
// from one `blkid -p` process for the devices the prober leaves to blkid. See README.md.
package fsid

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// Props is what is known of one device. Empty strings are unknown.
type Props struct {
	Type       string // filesystem or content type: ext4, xfs, vfat, swap, LVM2_member, btrfs, crypto_LUKS
	UUID       string
	Label      string
	PTType     string // partition table on this device: gpt, dos
	PTUUID     string
	PartScheme string // the table this partition belongs to: gpt, dos
	PartType   string // GPT type GUID (lower case) or MBR type ("0x83")
	PartUUID   string
	PartName   string
	// PartSize is the partition's size in its table, in bytes (PART_ENTRY_SIZE × 512);
	// 0 when unknown. It differs from sysfs for an MBR extended partition, which the
	// kernel shows as 2 sectors (block/partitions/msdos.c) while its entry spans every
	// logical partition.
	PartSize int64
	Model    string // udev only
	Serial   string // udev only
	WWN      string // udev only
	Source   string // "udev", "blkid" or "lowprobe" (SourceLowprobe): which one answered
}

// FromUdev maps a udev database record to Props.
func FromUdev(r UdevRecord) Props {
	e := r.Env
	return Props{
		Type: e["ID_FS_TYPE"], UUID: e["ID_FS_UUID"], Label: e["ID_FS_LABEL"],
		PTType: e["ID_PART_TABLE_TYPE"], PTUUID: e["ID_PART_TABLE_UUID"],
		PartScheme: e["ID_PART_ENTRY_SCHEME"], PartType: strings.ToLower(e["ID_PART_ENTRY_TYPE"]),
		PartUUID: e["ID_PART_ENTRY_UUID"], PartName: e["ID_PART_ENTRY_NAME"], PartSize: sectorBytes(e["ID_PART_ENTRY_SIZE"]),
		Model: e["ID_MODEL"], Serial: firstNonEmpty(e["ID_SERIAL_SHORT"], e["ID_SERIAL"]), WWN: e["ID_WWN"],
		Source: "udev",
	}
}

// FromBlkid maps one device's `blkid -o export` values to Props.
func FromBlkid(v map[string]string) Props {
	return Props{
		Type: v["TYPE"], UUID: v["UUID"], Label: v["LABEL"],
		PTType: v["PTTYPE"], PTUUID: v["PTUUID"],
		PartScheme: v["PART_ENTRY_SCHEME"], PartType: strings.ToLower(v["PART_ENTRY_TYPE"]),
		PartUUID: v["PART_ENTRY_UUID"], PartName: v["PART_ENTRY_NAME"], PartSize: sectorBytes(v["PART_ENTRY_SIZE"]),
		Source: "blkid",
	}
}

// sectorBytes converts a count of 512-byte sectors (libblkid's unit for
// PART_ENTRY_SIZE, whatever the device's sector size) to bytes; 0 when it is not a
// count or would overflow.
func sectorBytes(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/512 {
		return 0
	}
	return n * 512
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Device names one block device to identify, with what the in-process prober needs to
// find a partition's entry in its disk's table.
type Device struct {
	KName  string // sda1
	MajMin string // 8:1
	// Disk is a partition's disk (sda); "" for a disk or another unpartitioned device
	// (dm, md). A partition whose disk is not among the devices given to Identify is
	// left to blkid, which finds the disk itself.
	Disk string
	// Start and Sectors are a partition's sysfs start and size, in 512-byte sectors.
	Start, Sectors uint64
	// DMUUID is a device-mapper device's uuid: a kpartx partition ("part<N>-...") is
	// left to blkid, which finds its table through the dm device below it.
	DMUUID string
}

// Result is what Identify found, with the problems met on the way.
type Result struct {
	Props    map[string]Props // by kernel name
	Warnings []error
	// Denied lists devices blkid was not allowed to open ("/dev/sda: Permission denied").
	Denied []string
}

// BlkidArgv is the exact command used to probe devices: low-level probing (-p, so the
// partition entry is reported too), no cache file read or written (-c /dev/null keeps
// discovery read-only), export format.
func BlkidArgv(devnames []string) []string {
	return append([]string{"blkid", "-c", "/dev/null", "-p", "-o", "export"}, devnames...)
}

// Identify returns Props for every device: from /run/udev/data/b<maj>:<min> when the
// host has a udev database record for it, else from the in-process prober (NativeProbe,
// asked through probes), else from one blkid process for the devices the prober leaves
// to it (NeedsBlkid, ambivalent, zoned, CD-ROM, not in an older capture). While a
// capture is recorded, blkid also probes the devices the prober identified, so that the
// capture holds both answers (its result is not used).
func Identify(ctx context.Context, fsys platform.FS, run platform.Runner, probes platform.Prober, devs []Device, timeout time.Duration) Result {
	res := Result{Props: map[string]Props{}}
	var rest []Device
	for _, d := range devs {
		b, err := fsys.ReadFile("/run/udev/data/b" + d.MajMin)
		if err == nil {
			if r, perr := ParseUdevData(b); perr == nil && r.Env["ID_FS_TYPE"]+r.Env["ID_PART_TABLE_TYPE"]+r.Env["ID_PART_ENTRY_SCHEME"] != "" {
				res.Props[d.KName] = FromUdev(r)
				continue
			}
		}
		rest = append(rest, d)
	}
	if len(rest) == 0 {
		return res
	}
	ask := func(qs []NativeQuery) []platform.Answer[NativeAnswer] {
		return platform.AskAll(ctx, probes, NativeProbe, qs)
	}
	w := identifyNative(ask, rest, devs, &res)
	var probe, second []string
	for _, d := range rest {
		switch p := "/dev/" + d.KName; {
		case w.blkid[p]:
			probe = append(probe, p)
		case w.native[p]:
			second = append(second, p)
		}
	}
	if len(probe) > 0 {
		probeBlkid(ctx, run, probe, timeout, &res)
	}
	if w.recording && len(second) > 0 {
		probeBlkid(ctx, run, second, timeout, &Result{Props: map[string]Props{}})
	}
	return res
}

// blkidError finds blkid's "blkid: error: /dev/X: reason" line.
func blkidError(stderr string) (dev, reason string, ok bool) {
	for _, line := range strings.Split(stderr, "\n") {
		rest, found := strings.CutPrefix(strings.TrimRight(line, "\r"), "blkid: error: /dev/")
		if !found {
			continue
		}
		name, why, found := strings.Cut(rest, ": ")
		if found && name != "" {
			return "/dev/" + name, why, true
		}
	}
	return "", "", false
}

// probeBlkid runs one blkid for all devices. blkid -p stops at the first device it
// cannot open and at the first with no signature at all (an empty disk), so such a
// device is noted (or passed over) and the rest probed again without it: one more
// process per empty device.
func probeBlkid(ctx context.Context, run platform.Runner, devnames []string, timeout time.Duration, res *Result) {
	for len(devnames) > 0 {
		out, err := run.Run(ctx, platform.Command{Argv: BlkidArgv(devnames), Timeout: timeout})
		for _, blk := range ParseBlkidExport(out.Stdout) {
			name := strings.TrimPrefix(blk["DEVNAME"], "/dev/")
			if name != "" {
				res.Props[name] = FromBlkid(blk)
			}
		}
		if err == nil {
			return
		}
		var ee *platform.ExitError
		if !errors.As(err, &ee) {
			res.Warnings = append(res.Warnings, fmt.Errorf("identify filesystems: %w", err))
			return
		}
		bad, msg, found := blkidError(string(out.Stderr))
		if !found {
			if ee.Code != 2 || strings.TrimSpace(string(out.Stderr)) != "" {
				res.Warnings = append(res.Warnings, fmt.Errorf("identify filesystems: %w", err))
				return
			}
			// Exit 2 with nothing on stderr: `blkid -p` stops at the first device that
			// has no signature at all (an empty disk). It printed the devices before it,
			// in order; probe the ones after it again.
			i := blankAt(devnames, out.Stdout)
			if i < 0 {
				return
			}
			devnames = devnames[i+1:]
			continue
		}
		if strings.Contains(msg, "ermission denied") || strings.Contains(msg, "Operation not permitted") {
			res.Denied = append(res.Denied, bad+": "+msg)
		} else {
			res.Warnings = append(res.Warnings, fmt.Errorf("identify %s: blkid: %s", bad, msg))
		}
		// Probe again the devices after the one that failed; the ones before it were printed.
		i := indexOf(devnames, bad)
		if i < 0 {
			return
		}
		devnames = devnames[i+1:]
	}
}

// blankAt is the index of the device a `blkid -p` run that exited 2 stopped at: the
// first of devnames it printed nothing for (it prints in argument order). -1 when it
// printed every one.
func blankAt(devnames []string, stdout []byte) int {
	printed := map[string]bool{}
	for _, blk := range ParseBlkidExport(stdout) {
		printed[blk["DEVNAME"]] = true
	}
	for i, d := range devnames {
		if !printed[d] {
			return i
		}
	}
	return -1
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// ParseBlkidExport parses `blkid -o export` output: blocks of KEY=value lines separated
// by blank lines; values escape special characters with a backslash.
func ParseBlkidExport(b []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = map[string]string{}
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		cur[k] = unescapeShell(v)
	}
	flush()
	return out
}

// unescapeShell undoes blkid's export escaping: a backslash quotes the next byte.
func unescapeShell(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UdevRecord is a udev database record (/run/udev/data/b<maj>:<min>).
type UdevRecord struct {
	Env      map[string]string // E: properties
	Symlinks []string          // S: links below /dev
}

// ErrNotUdevData: the content is not a udev database record.
var ErrNotUdevData = errors.New("not a udev database record")

// ParseUdevData parses a udev database record: lines "X:value" where E: is a property
// (KEY=value), S: a /dev symlink, and other letters are udev-internal.
func ParseUdevData(b []byte) (UdevRecord, error) {
	r := UdevRecord{Env: map[string]string{}}
	valid := false
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		valid = true
		val := line[2:]
		switch line[0] {
		case 'E':
			if k, v, ok := strings.Cut(val, "="); ok {
				r.Env[k] = v
			}
		case 'S':
			r.Symlinks = append(r.Symlinks, val)
		}
	}
	if !valid && len(strings.TrimSpace(string(b))) > 0 {
		return r, ErrNotUdevData
	}
	return r, nil
}
