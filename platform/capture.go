package platform

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ManifestName is the capture manifest's file name at the top of a capture.
const ManifestName = "sms-capture.json"

// CaptureFormat names the format in the manifest.
const CaptureFormat = "sms-agent-capture"

// CaptureVersion is the manifest version this agent writes; it reads 1 and 2.
const CaptureVersion = 2

// Manifest is the capture's description and everything that is not a file: the answers
// of every probe. See docs/capture-format.md.
type Manifest struct {
	Format       string    `json:"format"`
	Version      int       `json:"version"`
	Created      time.Time `json:"created"`
	AgentVersion string    `json:"agent_version"`
	Privileged   bool      `json:"privileged"`
	// OS is the captured system, "linux" or "windows" (version 1: always linux).
	OS string `json:"os"`
	// Probes holds the answers by probe name (Probe.Name), each probe's sorted by key.
	Probes map[string][]ProbeRecord `json:"probes"`
	// Interfaces are the network interfaces and their addresses (netlink, not files),
	// for registering a source from a capture.
	Interfaces []NetInterface `json:"interfaces,omitempty"`
}

// manifestV1 holds the sections version 1 kept apart, before probes.
type manifestV1 struct {
	Commands      []RecordedCommand    `json:"commands"`
	Statfs        []StatfsOutcome      `json:"statfs"`
	BtrfsSearches []BtrfsSearchOutcome `json:"btrfs_searches"`
}

// replayV1 replays version 1 records of one probe (for tests written against them).
func replayV1[T any](name string, items []T, record func(T) (ProbeRecord, error)) Prober {
	var recs []ProbeRecord
	for _, it := range items {
		if r, err := record(it); err == nil {
			recs = append(recs, r)
		}
	}
	return NewReplay(map[string][]ProbeRecord{name: recs})
}

// probes converts a version 1 manifest's sections into probe records.
func (v manifestV1) probes() (map[string][]ProbeRecord, error) {
	out := map[string][]ProbeRecord{}
	add := func(name string, rec ProbeRecord, err error) error {
		if err != nil {
			return err
		}
		out[name] = append(out[name], rec)
		return nil
	}
	for _, c := range v.Commands {
		r, err := c.record()
		if err := add(CommandProbe.Name, r, err); err != nil {
			return nil, fmt.Errorf("commands: %w", err)
		}
	}
	for _, o := range v.Statfs {
		r, err := o.record()
		if err := add(StatfsProbe.Name, r, err); err != nil {
			return nil, fmt.Errorf("statfs: %w", err)
		}
	}
	for _, o := range v.BtrfsSearches {
		r, err := o.record()
		if err := add(BtrfsSearchProbe.Name, r, err); err != nil {
			return nil, fmt.Errorf("btrfs_searches: %w", err)
		}
	}
	return out, nil
}

// NetInterface is one network interface and its addresses in CIDR form ("10.0.0.5/24").
type NetInterface struct {
	Name  string   `json:"name"`
	Addrs []string `json:"addrs"`
}

// Capture is a host replayed from a capture archive or a root-like directory.
type Capture struct {
	Dir      string    // the root the files were laid out in
	Manifest *Manifest // nil for a plain directory or snapshot without one
	fs       FS        // confined to Dir
	cleanup  func()
}

// Close removes the files an archive was unpacked into.
func (c *Capture) Close() {
	_ = c.fs.Close()
	if c.cleanup != nil {
		c.cleanup()
	}
}

// Host builds a replaying host from the capture. Its FS is confined to the capture's
// directory: no path or symbolic link in it reaches a file outside. A directory without
// a manifest is a privileged Linux host with no probe answers.
func (c *Capture) Host(now func() time.Time) Host {
	m := c.Manifest
	if m == nil {
		m = &Manifest{Privileged: true, OS: OSLinux}
	}
	h := NewHost(c.fs, NewReplay(m.Probes), now)
	h.Privileged, h.OS = m.Privileged, m.OS
	return h
}

// ErrNotCapture: the path is not a capture at all (a directory with no sys/, proc/ or
// manifest, a named pipe, a device...), as opposed to a damaged capture.
var ErrNotCapture = errors.New("not a capture")

// OpenCapture opens a capture: a .tar.gz archive (unpacked into a temporary directory
// under tmpDir; "": os.TempDir()) or a directory laid out like a root (proc/, sys/,
// dev/, run/).
func OpenCapture(p, tmpDir string) (*Capture, error) {
	return OpenCaptureContext(context.Background(), p, tmpDir, nil)
}

// OpenCaptureContext is OpenCapture that stops unpacking when ctx is done (removing
// what it unpacked) and tracks the temporary directory in temps while it exists (nil:
// not tracked). Errors begin with the path; a path that is no capture at all wraps
// ErrNotCapture, a missing one fs.ErrNotExist. Nothing but a regular file or a
// directory is opened: a named pipe or a device is refused without blocking on it.
func OpenCaptureContext(ctx context.Context, p, tmpDir string, temps *TempFiles) (*Capture, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Quote(p), unwrapPathError(err))
	}
	c := &Capture{Dir: p}
	switch {
	case st.IsDir():
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s: %w: it is %s (want a .tar.gz archive from 'sms-agent capture' or a directory)", Quote(p), ErrNotCapture, FileKind(st.Mode()))
	default:
		f, err := OpenRegular(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", Quote(p), err)
		}
		defer f.Close()
		dir, err := os.MkdirTemp(tmpDir, "sms-agent-replay-")
		if err != nil {
			return nil, fmt.Errorf("%s: unpack: %w", Quote(p), err)
		}
		temps.add(dir)
		c.Dir, c.cleanup = dir, func() { _ = os.RemoveAll(dir); temps.remove(dir) }
		if err := unpack(ctx, f, dir); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", Quote(p), err)
		}
	}
	if c.fs = NewFS(c.Dir); c.fs.err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", Quote(p), c.fs.err)
	}
	m, err := c.readManifest()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", Quote(p), err)
	}
	c.Manifest = m
	if m == nil && !c.fs.isDir("/sys") && !c.fs.isDir("/proc") {
		c.Close()
		return nil, fmt.Errorf("%s: %w: it holds no sys/, proc/ or %s", Quote(p), ErrNotCapture, ManifestName)
	}
	return c, nil
}

// readManifest reads the manifest through the capture's root (nil when it has none).
func (c *Capture) readManifest() (*Manifest, error) {
	r, done, err := c.fs.openRoot()
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := r.Open(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: not a regular file", ManifestName, ErrNotCapture)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxUnpacked))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	return ParseManifest(b)
}

// ParseManifest decodes and checks a capture manifest.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ManifestName, err)
	}
	if m.Format != CaptureFormat {
		return nil, fmt.Errorf("parse %s: format %q, want %q", ManifestName, m.Format, CaptureFormat)
	}
	switch m.Version {
	case 1:
		var v1 manifestV1
		if err := json.Unmarshal(b, &v1); err != nil {
			return nil, fmt.Errorf("parse %s: %w", ManifestName, err)
		}
		p, err := v1.probes()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", ManifestName, err)
		}
		m.Probes, m.OS = p, OSLinux
	case CaptureVersion:
		if m.OS != OSLinux && m.OS != OSWindows {
			return nil, fmt.Errorf("parse %s: os %q, want %q or %q", ManifestName, m.OS, OSLinux, OSWindows)
		}
	default:
		return nil, fmt.Errorf("parse %s: unsupported version %d (this agent reads 1 and %d)", ManifestName, m.Version, CaptureVersion)
	}
	return &m, nil
}

// ErrCaptureUnstorable: this system cannot lay the capture out as files (Windows cannot
// name files with ':' or, without privileges, make the symlinks of a Linux /sys tree).
// Replay such a capture on Linux.
var ErrCaptureUnstorable = errors.New("this system cannot store the capture's files (replay Linux captures on Linux)")

// maxUnpacked bounds what an archive may unpack to, maxEntries its number of entries.
const (
	maxUnpacked = 1 << 30
	maxEntries  = 1 << 20
)

// unpack extracts the .tar.gz archive r into dir through an os.Root, so that no entry
// name, symbolic link or chain of them can create or write anything outside dir.
// Names that are absolute or climb with ".." and links with such targets are refused
// outright; a chain of links that only escapes once followed (d/y -> .., a -> d/y/..,
// then a/x) fails when a/x is written. Directories, regular files, symbolic links and
// hard links (to a file unpacked before) are unpacked; device nodes and named pipes
// carry no data and are skipped. It stops when ctx is done.
func unpack(ctx context.Context, r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	zr, err := gzip.NewReader(ctxReader{ctx, r})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("not a .tar.gz archive: %w", err)
	}
	tr := tar.NewReader(zr)
	var total int64
	for entries := 0; ; entries++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if entries >= maxEntries {
			return fmt.Errorf("capture holds more than %d entries", maxEntries)
		}
		name, err := entryName(h.Name)
		if err != nil || name == "." {
			if err != nil {
				return err
			}
			continue
		}
		if err := storable(name); err != nil {
			return err
		}
		if err := unpackEntry(root, tr, h, name, &total); err != nil {
			return fmt.Errorf("entry %s: %w", Quote(h.Name), err)
		}
	}
}

func unpackEntry(root *os.Root, tr *tar.Reader, h *tar.Header, name string, total *int64) error {
	mkParent := func() error {
		if d := path.Dir(name); d != "." {
			return root.MkdirAll(d, 0o755)
		}
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, 0o755)
	case tar.TypeSymlink:
		t := h.Linkname
		if rel := path.Clean(path.Join(path.Dir(name), t)); t == "" || path.IsAbs(t) || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("symbolic link to %s leaves the capture", Quote(t))
		}
		if err := mkParent(); err != nil {
			return err
		}
		if err := root.Symlink(t, name); err != nil {
			return symlinkError(err)
		}
		// Some systems report success and store nothing usable (Wine) or a link that
		// does not resolve the way Linux does: the replay would silently miss devices.
		if got, err := root.Readlink(name); err != nil || filepath.ToSlash(got) != t {
			return ErrCaptureUnstorable
		}
		return nil
	case tar.TypeLink:
		old, err := entryName(h.Linkname)
		if err != nil {
			return err
		}
		if err := mkParent(); err != nil {
			return err
		}
		return root.Link(old, name)
	case tar.TypeReg:
		if *total += h.Size; *total > maxUnpacked {
			return errors.New("capture unpacks to more than 1 GiB")
		}
		if err := mkParent(); err != nil {
			return err
		}
		out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, io.LimitReader(tr, h.Size))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil // device nodes, named pipes: no data, never created
}

// entryName is an archive entry's name relative to the root ("." for the root
// itself); absolute names and names that climb out with ".." are refused.
func entryName(n string) (string, error) {
	name := path.Clean(strings.TrimPrefix(n, "./"))
	if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("entry %s escapes the capture", Quote(n))
	}
	return name, nil
}

// ctxReader fails its reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// WriteCapture writes a capture archive: the manifest, then every file, directory and
// symlink the recorder saw, with the symlinks on the way to each resolved as on the host.
func WriteCapture(w io.Writer, fsys FS, rec *FileRecorder, m Manifest) error {
	m.Format, m.Version = CaptureFormat, CaptureVersion
	if m.OS == "" {
		m.OS = OSLinux
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mb, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	mtime := m.Created
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(mb)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(mb); err != nil {
		return err
	}
	b := &captureBuilder{fsys: fsys, entries: map[string]*tar.Header{}, data: map[string][]byte{}, mtime: mtime}
	rec.mu.Lock()
	for p, content := range rec.files {
		if real := b.resolve(p); real != "" {
			b.add(real, tar.TypeReg, content)
		}
	}
	for p, names := range rec.dirs {
		real := b.resolve(p)
		if real == "" {
			continue
		}
		b.add(real, tar.TypeDir, nil)
		// The names listed: symbolic links as links, directories as directories;
		// regular files only when read (below), so that no unread content is implied.
		for _, n := range names {
			entry := path.Join(real, n)
			st, err := fsys.lstat(entry)
			switch {
			case err != nil:
			case st.Mode()&os.ModeSymlink != 0:
				if t, err := fsys.readlink(entry); err == nil && !path.IsAbs(t) {
					b.addLink(entry, t)
				}
			case st.IsDir():
				b.add(entry, tar.TypeDir, nil)
			}
		}
	}
	for p := range rec.paths {
		real := b.resolve(p)
		if real == "" {
			continue
		}
		if st, err := fsys.stat(real); err == nil && st.IsDir() {
			b.add(real, tar.TypeDir, nil)
		} else if err == nil {
			// Only its existence was asked: an empty placeholder, never the content (it
			// may be a program, like /usr/sbin/tc: captures hold data only).
			if _, read := rec.files[p]; !read {
				if _, have := b.entries[strings.TrimPrefix(real, "/")]; !have {
					b.add(real, tar.TypeReg, nil)
				}
			}
		}
	}
	rec.mu.Unlock()
	names := make([]string, 0, len(b.entries))
	for n := range b.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := b.entries[n]
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(b.data[n]); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

type captureBuilder struct {
	fsys    FS
	entries map[string]*tar.Header
	data    map[string][]byte
	mtime   time.Time
}

func (b *captureBuilder) add(hostPath string, typ byte, content []byte) {
	name := strings.TrimPrefix(path.Clean(hostPath), "/")
	if name == "" {
		return
	}
	// parents first, as directories
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := b.entries[d+"/"]; !ok {
			b.entries[d+"/"] = &tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: b.mtime}
		}
	}
	switch typ {
	case tar.TypeDir:
		if _, ok := b.entries[name+"/"]; !ok {
			b.entries[name+"/"] = &tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: b.mtime}
		}
	case tar.TypeReg:
		b.entries[name] = &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content)), ModTime: b.mtime}
		b.data[name] = content
	}
}

func (b *captureBuilder) addLink(hostPath, target string) {
	name := strings.TrimPrefix(path.Clean(hostPath), "/")
	b.add(path.Dir("/"+name)+"/.", tar.TypeDir, nil)
	b.entries[name] = &tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: b.mtime}
}

// resolve walks hostPath component by component, recording each symlink met on the
// way, and returns the real host path ("" if it does not exist).
func (b *captureBuilder) resolve(hostPath string) string {
	comps := strings.Split(strings.TrimPrefix(path.Clean("/"+hostPath), "/"), "/")
	cur := "/"
	for hops := 0; len(comps) > 0 && hops < 64; {
		c := comps[0]
		comps = comps[1:]
		if c == "" || c == "." {
			continue
		}
		next := path.Join(cur, c)
		st, err := b.fsys.lstat(next)
		if err != nil {
			return ""
		}
		if st.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		t, err := b.fsys.readlink(next)
		if err != nil || path.IsAbs(t) {
			return ""
		}
		b.addLink(next, t)
		rest := strings.Split(path.Join(path.Dir(next), t), "/")
		comps = append(rest, comps...)
		cur = "/"
	}
	return cur
}
