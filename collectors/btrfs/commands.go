package btrfs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// SubvolumeListArgv lists every subvolume of the filesystem mounted at mnt (-a), with
// parent id (-p), UUID (-u) and parent UUID (-q).
func SubvolumeListArgv(mnt string) []string {
	return []string{"btrfs", "subvolume", "list", "-a", "-puq", mnt}
}

// GetDefaultArgv prints the default subvolume of the filesystem mounted at mnt.
func GetDefaultArgv(mnt string) []string {
	return []string{"btrfs", "subvolume", "get-default", mnt}
}

// Mounted is what discovery reads of one mounted filesystem beyond sysfs: its
// subvolumes, from one `btrfs subvolume list` process, and its default subvolume, from
// one tree search (`btrfs subvolume get-default` only when the search fails). Each has
// its own result and error: one failing does not hide the other.
type Mounted struct {
	MountPoint string

	Subvolumes []Subvolume
	ListResult platform.Result
	ListErr    error
	Default    *DefaultSubvolume
	DefaultErr error
}

// ReadMounted reads the filesystem mounted at mountPoint: the subvolume list, then the
// default subvolume by a tree search through search (nil: none), made only once the
// list, which searches the same tree, has answered, so that a wedged filesystem cannot
// hang the agent itself. When the search fails (a capture that holds none, a kernel
// that refuses it), `btrfs subvolume get-default` is run instead. Both need root. The
// error joins ListErr and DefaultErr (nil when both worked).
func ReadMounted(ctx context.Context, run platform.Runner, search platform.BtrfsSearcher, mountPoint string, timeout time.Duration) (*Mounted, error) {
	m := &Mounted{MountPoint: mountPoint}
	var out []byte
	out, m.ListResult, m.ListErr = runOne(ctx, run, SubvolumeListArgv(mountPoint), timeout)
	if m.ListErr == nil {
		m.Subvolumes, m.ListErr = ParseSubvolumeList(out)
		m.ListErr = wrapParse(SubvolumeListArgv(mountPoint), m.ListErr)
	}
	if errors.Is(m.ListErr, platform.ErrTimeout) {
		m.DefaultErr = fmt.Errorf("default subvolume of %s not asked: the filesystem did not answer the subvolume list", mountPoint)
		return m, errors.Join(m.ListErr, m.DefaultErr)
	}
	if search != nil {
		if id, err := ReadDefaultSubvolumeID(search, mountPoint); err == nil {
			m.Default = &DefaultSubvolume{ID: id, TopLevel: id == FSTreeObjectID}
			for _, sv := range m.Subvolumes {
				if sv.ID == id {
					m.Default.Path = sv.Path
				}
			}
			return m, m.ListErr
		}
	}
	out, _, m.DefaultErr = runOne(ctx, run, GetDefaultArgv(mountPoint), timeout)
	if m.DefaultErr == nil {
		m.Default, m.DefaultErr = ParseGetDefault(out)
		m.DefaultErr = wrapParse(GetDefaultArgv(mountPoint), m.DefaultErr)
	}
	return m, errors.Join(m.ListErr, m.DefaultErr)
}

func runOne(ctx context.Context, run platform.Runner, argv []string, timeout time.Duration) ([]byte, platform.Result, error) {
	res, err := run.Run(ctx, platform.Command{Argv: argv, Timeout: timeout})
	name := strings.Join(argv[:3], " ")
	switch {
	case err == nil:
		return res.Stdout, res, nil
	case errors.Is(err, platform.ErrToolUnavailable):
		return nil, res, fmt.Errorf("run %s: btrfs-progs is not installed: %w", name, err)
	case errors.Is(err, platform.ErrTimeout):
		return nil, res, fmt.Errorf("run %s %s: no answer in %s: %w", name, argv[len(argv)-1], timeout, err)
	}
	return nil, res, fmt.Errorf("run %s %s: %w", name, argv[len(argv)-1], err)
}

func wrapParse(argv []string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("parse %s output: %w", strings.Join(argv[:3], " "), err)
}

// Subvolume is one line of `btrfs subvolume list -a -puq`.
type Subvolume struct {
	ID       uint64 // subvolume id
	Gen      uint64 // generation
	Parent   uint64 // parent: id of the subvolume it sits in
	TopLevel uint64 // top level (same as Parent in current btrfs-progs)
	// ParentUUID is the UUID of the subvolume this one is a snapshot of; "" when it is
	// not a snapshot (btrfs prints "-").
	ParentUUID string
	UUID       string
	// Path is relative to the top-level subvolume (id 5), with the "<FS_TREE>/" that
	// -a prints for subvolumes outside the mounted one removed.
	Path string
	// OutsideMount: btrfs printed "<FS_TREE>/": the subvolume is not below the mounted one.
	OutsideMount bool
	// IsSnapshot: ParentUUID is set.
	IsSnapshot bool
}

// Name is the last element of Path.
func (s Subvolume) Name() string {
	if i := strings.LastIndexByte(s.Path, '/'); i >= 0 {
		return s.Path[i+1:]
	}
	return s.Path
}

const fsTreePrefix = "<FS_TREE>/"

// ParseSubvolumeList parses `btrfs subvolume list -a -puq` output:
//
//	ID 258 gen 9 parent 257 top level 257 parent_uuid - uuid 84af9bd1-... path <FS_TREE>/home/nested
//
// Extra columns other flags add (cgen, otime, received_uuid) are skipped. The path is
// the rest of the line after "path " and may contain spaces.
func ParseSubvolumeList(b []byte) ([]Subvolume, error) {
	var out []Subvolume
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		s, err := parseSubvolumeLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrParse, n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	return out, nil
}

func parseSubvolumeLine(line string) (Subvolume, error) {
	var s Subvolume
	head, p, ok := strings.Cut(line, " path ")
	if !ok {
		if !strings.HasSuffix(line, " path") {
			return s, fmt.Errorf("no path in %q", line)
		}
		head = strings.TrimSuffix(line, " path")
	}
	if strings.HasPrefix(p, fsTreePrefix) {
		p, s.OutsideMount = strings.TrimPrefix(p, fsTreePrefix), true
	}
	s.Path = p
	f := strings.Fields(head)
	seen := map[string]bool{}
	for i := 0; i < len(f); i++ {
		key := f[i]
		if key == "top" && i+1 < len(f) && f[i+1] == "level" {
			key, i = "top level", i+1
		}
		if key == "otime" { // otime 2024-01-02 03:04:05
			i += 2
			continue
		}
		if i+1 >= len(f) {
			return s, fmt.Errorf("%q without value", key)
		}
		i++
		v := f[i]
		seen[key] = true
		var err error
		switch key {
		case "ID":
			s.ID, err = strconv.ParseUint(v, 10, 64)
		case "gen":
			s.Gen, err = strconv.ParseUint(v, 10, 64)
		case "parent":
			s.Parent, err = strconv.ParseUint(v, 10, 64)
		case "top level":
			s.TopLevel, err = strconv.ParseUint(v, 10, 64)
		case "parent_uuid":
			if v != "-" {
				s.ParentUUID = v
			}
		case "uuid":
			if v != "-" {
				s.UUID = v
			}
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", key, err)
		}
	}
	if !seen["ID"] {
		return s, fmt.Errorf("no ID in %q", line)
	}
	if !seen["parent"] {
		s.Parent = s.TopLevel
	}
	s.IsSnapshot = s.ParentUUID != ""
	return s, nil
}

// DefaultSubvolume is what `btrfs subvolume get-default` prints.
type DefaultSubvolume struct {
	ID uint64
	// TopLevel is the top-level subvolume (id 5) itself: "ID 5 (FS_TREE)".
	TopLevel bool
	Gen      *uint64 // nil for the top level
	Parent   *uint64 // "top level N"; nil for the top level
	Path     string  // "" for the top level
}

// ParseGetDefault parses `btrfs subvolume get-default`: "ID 5 (FS_TREE)" or
// "ID 256 gen 7 top level 5 path root".
func ParseGetDefault(b []byte) (*DefaultSubvolume, error) {
	line := strings.TrimSpace(string(b))
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if rest, ok := strings.CutPrefix(line, "ID "); ok {
		if id, ok := strings.CutSuffix(rest, " (FS_TREE)"); ok {
			n, err := strconv.ParseUint(id, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: get-default %q: %w", ErrParse, line, err)
			}
			return &DefaultSubvolume{ID: n, TopLevel: true}, nil
		}
	}
	s, err := parseSubvolumeLine(line)
	if err != nil {
		return nil, fmt.Errorf("%w: get-default: %w", ErrParse, err)
	}
	d := &DefaultSubvolume{ID: s.ID, Path: s.Path, Gen: &s.Gen, Parent: &s.TopLevel}
	return d, nil
}
