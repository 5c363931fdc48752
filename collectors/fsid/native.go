package fsid

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sms-agent/sms-agent/collectors/lowprobe"
	"github.com/sms-agent/sms-agent/platform"
)

// The in-process prober (collectors/lowprobe) answers for the devices udev does not
// describe, one question per disk with the partitions of it that are asked about; blkid
// answers only where it cannot (README.md). Live, the devices are opened read-only and
// probed; a capture records the bytes each probe looked at (the lowprobe Capture), and a
// replay probes those bytes with the same code.

// SourceLowprobe is Props.Source for an answer of the in-process prober.
const SourceLowprobe = "lowprobe"

// NativeQuery is the question of NativeProbe: a disk (or any unpartitioned block
// device: dm, md) and those of its partitions to identify. Its JSON is its key in a
// capture: what changes the answer, not the disk's size or sector size, which the
// answer holds as the device reported them.
type NativeQuery struct {
	Disk  string       `json:"disk"` // /dev/sda
	Parts []NativePart `json:"parts,omitempty"`
}

// NativePart is a partition of a NativeQuery's disk, with what finds its entry in the
// disk's partition table (lowprobe.EntryQuery).
type NativePart struct {
	Path string `json:"path"` // /dev/sda1
	// Start and Size are /sys/class/block/<part>/start and size, in 512-byte sectors.
	Start uint64 `json:"start"`
	Size  uint64 `json:"size"`
	// DiskDev is the disk's major:minor (PART_ENTRY_DISK).
	DiskDev string `json:"disk_dev"`
}

// NativeAnswer is what NativeProbe found: the disk's and each partition's, in the
// question's order.
type NativeAnswer struct {
	Disk  NativeDevice   `json:"disk"`
	Parts []NativeDevice `json:"parts,omitempty"`
	// live: answered by this machine (else replayed: probe the captures); recording:
	// in a run being recorded (LiveEnv.Recording).
	live, recording bool
}

// NativeDevice is one device's answer. Capture is what the probe read (the disk's
// includes its partition-table parse), kept when the run is recorded; a replay probes
// it. CDROM and Zoned are devices the prober must leave to blkid: libblkid skips RAID
// probing on a CD-ROM (CDROM_GET_CAPABILITY succeeds on the whole disk) and reads btrfs
// at a zone's write pointer (sysfs queue/zoned other than "none"). Error is why the
// device could not be opened or read.
type NativeDevice struct {
	Capture *lowprobe.Capture    `json:"capture,omitempty"`
	CDROM   bool                 `json:"cdrom,omitempty"`
	Zoned   bool                 `json:"zoned,omitempty"`
	Error   *platform.ProbeError `json:"error,omitempty"`
	// res is the live probe's result (a replay has only the capture).
	res *lowprobe.Result
}

// NativeProbe identifies a disk and its partitions in-process (collectors/lowprobe).
// Live (Linux), the disks of a batch are probed concurrently and within
// LiveEnv.CommandTimeout: a device that does not answer is a time-out, not a hang.
var NativeProbe = platform.Probe[NativeQuery, NativeAnswer]{Name: "lowprobe", Live: liveNative}

// nativeTarget is a device opened for probing (or a capture to replay), with what the
// answer says of it besides the probe.
type nativeTarget struct {
	t   lowprobe.Target
	dev NativeDevice // CDROM, Zoned, Error
}

// probeNative probes a disk and its partitions: the disk's table is read once, each
// partition's entry found in it. With Record, each device's Capture is filled (the
// disk's with its table parse). Live and replay run this same code.
func probeNative(q NativeQuery, disk nativeTarget, parts []nativeTarget) NativeAnswer {
	a := NativeAnswer{Disk: disk.dev, Parts: make([]NativeDevice, len(parts))}
	var tab *lowprobe.Table
	var tabErr error
	if disk.dev.Error == nil {
		if len(parts) > 0 {
			tab, tabErr = lowprobe.ReadTable(disk.t)
			if tabErr != nil {
				tabErr = fmt.Errorf("read the partition table of %s: %w", q.Disk, tabErr)
			}
		}
		a.Disk = probeOne(disk, nil)
		if tab != nil && tab.Capture != nil && a.Disk.Capture != nil {
			a.Disk.Capture.Merge(tab.Capture)
		}
	} else {
		tabErr = fmt.Errorf("open the disk %s: %w", q.Disk, disk.dev.Error)
	}
	for i, p := range parts {
		if p.dev.Error != nil {
			a.Parts[i] = p.dev
			continue
		}
		if tabErr != nil {
			// Not a permission error of this partition: blkid answers for it.
			a.Parts[i] = p.dev
			a.Parts[i].Error = &platform.ProbeError{Message: tabErr.Error()}
			continue
		}
		qp := q.Parts[i]
		a.Parts[i] = probeOne(p, &lowprobe.EntryQuery{Table: tab, Start: qp.Start, Size: qp.Size, Disk: qp.DiskDev})
	}
	return a
}

func probeOne(d nativeTarget, entry *lowprobe.EntryQuery) NativeDevice {
	out := d.dev
	if out.CDROM || out.Zoned {
		return out // blkid answers: nothing read
	}
	t := d.t
	if entry != nil {
		t.Kind, t.Entry = lowprobe.Partition, entry
	}
	res, err := lowprobe.Probe(t)
	if res != nil {
		out.Capture = res.Capture // set only when t.Record
	}
	if err != nil {
		out.Error = platform.NewProbeError(err)
		return out
	}
	out.res = res
	return out
}

// replayNative probes what a recorded answer holds, as the live probe did.
func replayNative(q NativeQuery, a NativeAnswer) NativeAnswer {
	target := func(d NativeDevice, kind lowprobe.Kind) nativeTarget {
		nt := nativeTarget{dev: NativeDevice{CDROM: d.CDROM, Zoned: d.Zoned, Error: d.Error}}
		if d.Error != nil || d.CDROM || d.Zoned {
			return nt
		}
		if d.Capture == nil {
			nt.dev.Error = &platform.ProbeError{Message: "no capture recorded"}
			return nt
		}
		t, err := d.Capture.Target()
		if err != nil {
			nt.dev.Error = platform.NewProbeError(fmt.Errorf("recorded capture: %w", err))
			return nt
		}
		t.Kind = kind
		nt.t = t
		return nt
	}
	if len(a.Parts) != len(q.Parts) {
		err := &platform.ProbeError{Message: fmt.Sprintf("recorded answer has %d partitions; the question %d", len(a.Parts), len(q.Parts))}
		out := NativeAnswer{Disk: NativeDevice{Error: err}, Parts: make([]NativeDevice, len(q.Parts))}
		for i := range out.Parts {
			out.Parts[i].Error = err
		}
		return out
	}
	disk := target(a.Disk, lowprobe.WholeDisk)
	parts := make([]nativeTarget, len(a.Parts))
	for i, p := range a.Parts {
		parts[i] = target(p, lowprobe.Partition)
	}
	return probeNative(q, disk, parts)
}

// nativeWork is what identifying one batch of devices in-process leaves besides the
// Props it files in the Result: the devices for blkid, and those the prober answered
// (for the recording's second opinion).
type nativeWork struct {
	blkid     map[string]bool // /dev paths blkid must answer for
	native    map[string]bool // /dev paths the prober answered (identified or empty)
	recording bool
}

// identifyNative asks NativeProbe about devs (none from udev) and fills res; the devices
// it cannot answer for are left to blkid.
func identifyNative(ask func([]NativeQuery) []platform.Answer[NativeAnswer], devs []Device, all []Device, res *Result) nativeWork {
	w := nativeWork{blkid: map[string]bool{}, native: map[string]bool{}}
	byName := map[string]Device{}
	for _, d := range all {
		byName[d.KName] = d
	}
	// One question per disk, in the order the devices come.
	var qs []NativeQuery
	want := map[string]bool{}
	at := map[string]int{} // disk kname → index in qs
	for _, d := range devs {
		diskName := d.KName
		if d.Disk != "" {
			diskName = d.Disk
		}
		disk, known := byName[diskName]
		if strings.HasPrefix(d.DMUUID, "part") || (d.Disk != "" && !known) {
			// A kpartx partition (its table is its dm parent's), or a partition whose
			// disk is not known: blkid finds its disk itself.
			w.blkid["/dev/"+d.KName] = true
			continue
		}
		want["/dev/"+d.KName] = true
		i, ok := at[diskName]
		if !ok {
			i = len(qs)
			at[diskName] = i
			qs = append(qs, NativeQuery{Disk: "/dev/" + diskName})
		}
		if d.Disk != "" {
			qs[i].Parts = append(qs[i].Parts, NativePart{Path: "/dev/" + d.KName, Start: d.Start, Size: d.Sectors, DiskDev: disk.MajMin})
		}
	}
	if len(qs) == 0 {
		return w
	}
	for i, a := range ask(qs) {
		q := qs[i]
		if a.Err != nil {
			for _, p := range devicePaths(q) {
				if want[p] {
					nativeFailed(p, a.Err, res, &w)
				}
			}
			continue
		}
		v := a.Value
		if v.recording {
			w.recording = true
		}
		if !v.live {
			v = replayNative(q, v) // a recorded answer: probe its bytes
		}
		if want[q.Disk] {
			nativeResult(q.Disk, v.Disk, res, &w)
		}
		for j, p := range q.Parts {
			if j < len(v.Parts) {
				nativeResult(p.Path, v.Parts[j], res, &w)
			} else {
				w.blkid[p.Path] = true
			}
		}
	}
	return w
}

func devicePaths(q NativeQuery) []string {
	out := []string{q.Disk}
	for _, p := range q.Parts {
		out = append(out, p.Path)
	}
	return out
}

// nativeResult files one device's answer: Props, a denial, a warning, or blkid's turn.
func nativeResult(path string, d NativeDevice, res *Result, w *nativeWork) {
	switch {
	case d.Error != nil:
		nativeFailed(path, d.Error, res, w)
	case d.CDROM || d.Zoned || d.res == nil:
		w.blkid[path] = true
	case d.res.Status == lowprobe.Identified:
		// Through blkid's export text, so that the Props are exactly those blkid's
		// output gives (its escaping of bytes over 127 included: "M-CM-)" for "é").
		for _, blk := range ParseBlkidExport([]byte(d.res.Export(path))) {
			p := FromBlkid(blk)
			p.Source = SourceLowprobe
			res.Props[strings.TrimPrefix(path, "/dev/")] = p
		}
		w.native[path] = true
	case d.res.Status == lowprobe.Empty:
		w.native[path] = true // blkid prints nothing for it either
	default: // Ambivalent, NeedsBlkid
		w.blkid[path] = true
	}
}

// nativeFailed: a device that cannot be opened for lack of privilege is denied, as
// blkid's would be; a time-out is a warning (blkid would hang there too); anything
// else (not recorded in an older capture, a read error) is left to blkid.
func nativeFailed(path string, err error, res *Result, w *nativeWork) {
	switch {
	case errors.Is(err, fs.ErrPermission):
		res.Denied = append(res.Denied, path+": "+deniedReason(err))
	case errors.Is(err, platform.ErrTimeout):
		res.Warnings = append(res.Warnings, fmt.Errorf("identify %s: %w", path, err))
	default:
		w.blkid[path] = true
	}
}

// deniedReason words a permission error as blkid does (strerror).
func deniedReason(err error) string {
	if strings.Contains(err.Error(), "operation not permitted") {
		return "Operation not permitted"
	}
	return "Permission denied"
}
