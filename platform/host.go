package platform

import "time"

// Host is everything discovery reads from: files under a root, and the probes (external
// commands, statfs, ioctls, Windows API calls) a Prober answers, live, recorded or from a
// capture; the clock, and whether it runs with root's privileges. cmd/ builds one for the
// live machine or for a capture being replayed.
type Host struct {
	FS FS
	// Probes answers every question that is not a file read (see Probe).
	Probes Prober
	// Run and BtrfsSearch ask Probes (NewHost sets them); tests replace them to inject
	// faults.
	Run         Runner
	BtrfsSearch BtrfsSearcher
	Now         func() time.Time
	Privileged  bool   // the reads were made as root (live: euid 0; replay: as recorded)
	Live        bool   // the host is this machine, not a replayed capture
	OS          string // "linux" or "windows": the system discovered (a capture's, when replayed)
}

// OS names (Host.OS, Manifest.OS).
const (
	OSLinux   = "linux"
	OSWindows = "windows"
)

// NewHost is a host whose files are read from fsys and whose other questions are asked
// through p.
func NewHost(fsys FS, p Prober, now func() time.Time) Host {
	return Host{FS: fsys, Probes: p, Run: ProbeRunner{P: p}, BtrfsSearch: ProbeBtrfsSearch{P: p}, Now: now, OS: OSLinux}
}

// Recording returns a copy of h whose file reads are noted in files and whose probe
// answers are kept by the returned Recorder, for `capture`.
func (h Host) Recording(files *FileRecorder) (Host, *Recorder) {
	rec := NewRecorder(h.Probes)
	r := NewHost(h.FS.WithRecorder(files), rec, h.Now)
	r.Privileged, r.Live, r.OS = h.Privileged, h.Live, h.OS
	return r, rec
}
