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

// FilesystemUsageArgv prints space usage in bytes (-b) of the filesystem mounted at mnt.
func FilesystemUsageArgv(mnt string) []string {
	return []string{"btrfs", "filesystem", "usage", "-b", mnt}
}

// Mounted is what the btrfs commands say about one mounted filesystem. Each command
// has its own result and error: one failing does not hide the others.
type Mounted struct {
	MountPoint string

	Subvolumes  []Subvolume
	ListResult  platform.Result
	ListErr     error
	Default     *DefaultSubvolume
	DefaultRes  platform.Result
	DefaultErr  error
	Usage       *Usage
	UsageResult platform.Result
	UsageErr    error
}

// ReadMounted runs the three commands on mountPoint, each with the given timeout. It
// returns whatever succeeded; the error joins the per-command errors (nil when all
// three worked). All three need root: as another user, subvolume list fails and
// filesystem usage prints estimates only.
func ReadMounted(ctx context.Context, run platform.Runner, mountPoint string, timeout time.Duration) (*Mounted, error) {
	m := &Mounted{MountPoint: mountPoint}
	var out []byte
	out, m.ListResult, m.ListErr = runOne(ctx, run, SubvolumeListArgv(mountPoint), timeout)
	if m.ListErr == nil {
		m.Subvolumes, m.ListErr = ParseSubvolumeList(out)
		m.ListErr = wrapParse(SubvolumeListArgv(mountPoint), m.ListErr)
	}
	out, m.DefaultRes, m.DefaultErr = runOne(ctx, run, GetDefaultArgv(mountPoint), timeout)
	if m.DefaultErr == nil {
		m.Default, m.DefaultErr = ParseGetDefault(out)
		m.DefaultErr = wrapParse(GetDefaultArgv(mountPoint), m.DefaultErr)
	}
	out, m.UsageResult, m.UsageErr = runOne(ctx, run, FilesystemUsageArgv(mountPoint), timeout)
	if m.UsageErr == nil {
		m.Usage, m.UsageErr = ParseFilesystemUsage(out)
		m.UsageErr = wrapParse(FilesystemUsageArgv(mountPoint), m.UsageErr)
	}
	return m, errors.Join(m.ListErr, m.DefaultErr, m.UsageErr)
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

// Usage is `btrfs filesystem usage -b`. Overall values are nil when not printed
// (older btrfs-progs lack some; as non-root the per-device ones are unknown).
type Usage struct {
	DeviceSize        *int64
	DeviceAllocated   *int64
	DeviceUnallocated *int64
	DeviceMissing     *int64
	DeviceSlack       *int64
	Used              *int64
	FreeEstimated     *int64
	FreeEstimatedMin  *int64
	FreeStatfs        *int64
	DataRatio         *float64
	MetadataRatio     *float64
	GlobalReserve     *int64
	GlobalReserveUsed *int64
	MultipleProfiles  *bool
	// Chunks are the "Data,single: Size:..., Used:..." sections in order.
	Chunks []ChunkUsage
	// Unallocated is the "Unallocated:" section: free bytes per device.
	Unallocated []DeviceBytes
}

// ChunkUsage is one "<Type>,<PROFILE>: Size:N, Used:N (x%)" section.
type ChunkUsage struct {
	Type    string // Data, Metadata, System
	Profile string // lower case: single, dup, raid1...
	Size    int64
	Used    int64
	Devices []DeviceBytes
}

// DeviceBytes is one device line of a section: bytes of that device.
type DeviceBytes struct {
	Device string
	Bytes  int64
}

// Chunk returns the first section of the given type (Data, Metadata, System), or nil.
func (u *Usage) Chunk(typ string) *ChunkUsage {
	for i := range u.Chunks {
		if strings.EqualFold(u.Chunks[i].Type, typ) {
			return &u.Chunks[i]
		}
	}
	return nil
}

// Profiles returns the profiles of one chunk type, joined by "," when there are several.
func (u *Usage) Profiles(typ string) string {
	var p []string
	for _, c := range u.Chunks {
		if strings.EqualFold(c.Type, typ) {
			p = append(p, c.Profile)
		}
	}
	return strings.Join(p, ",")
}

// ParseFilesystemUsage parses `btrfs filesystem usage -b` output.
func ParseFilesystemUsage(b []byte) (*Usage, error) {
	u := &Usage{}
	var cur *[]DeviceBytes
	sawOverall := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		switch {
		case line == "Overall:":
			sawOverall, cur = true, nil
		case line == "Unallocated:":
			cur = &u.Unallocated
		case !indented && strings.Contains(line, ": Size:"):
			c, err := parseChunkHeader(line)
			if err != nil {
				return nil, fmt.Errorf("%w: usage line %d: %w", ErrParse, n, err)
			}
			u.Chunks = append(u.Chunks, c)
			cur = &u.Chunks[len(u.Chunks)-1].Devices
		case indented && cur != nil:
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, fmt.Errorf("%w: usage line %d: device line %q", ErrParse, n, line)
			}
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: usage line %d: %w", ErrParse, n, err)
			}
			*cur = append(*cur, DeviceBytes{Device: f[0], Bytes: v})
		case indented && sawOverall:
			if err := u.overall(line); err != nil {
				return nil, fmt.Errorf("%w: usage line %d: %w", ErrParse, n, err)
			}
		default:
			// WARNING lines and anything new: ignored
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	if !sawOverall {
		return nil, fmt.Errorf("%w: no \"Overall:\" section", ErrParse)
	}
	return u, nil
}

// parseChunkHeader parses "Data,RAID1: Size:67108864, Used:41943040 (62.50%)".
func parseChunkHeader(line string) (ChunkUsage, error) {
	var c ChunkUsage
	name, rest, _ := strings.Cut(line, ": ")
	typ, prof, ok := strings.Cut(name, ",")
	if !ok {
		return c, fmt.Errorf("chunk header %q", line)
	}
	c.Type, c.Profile = typ, strings.ToLower(prof)
	var err error
	for _, f := range strings.Split(rest, ",") {
		f = strings.TrimSpace(f)
		k, v, _ := strings.Cut(f, ":")
		if i := strings.IndexByte(v, ' '); i >= 0 {
			v = v[:i] // "41943040 (62.50%)"
		}
		switch k {
		case "Size":
			c.Size, err = strconv.ParseInt(v, 10, 64)
		case "Used":
			c.Used, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return c, fmt.Errorf("chunk header %q: %w", line, err)
		}
	}
	return c, nil
}

// overall parses one "Key:  value" line of the Overall section.
func (u *Usage) overall(line string) error {
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return nil
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return nil
	}
	num := func() (*int64, error) {
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		return &n, nil
	}
	// second returns the number in "(min: N)" / "(used: N)".
	second := func() (*int64, error) {
		if len(f) < 3 {
			return nil, nil
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(f[2], ")"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		return &n, nil
	}
	ratio := func() (*float64, error) {
		r, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		return &r, nil
	}
	var err error
	switch k {
	case "Device size":
		u.DeviceSize, err = num()
	case "Device allocated":
		u.DeviceAllocated, err = num()
	case "Device unallocated":
		u.DeviceUnallocated, err = num()
	case "Device missing":
		u.DeviceMissing, err = num()
	case "Device slack":
		u.DeviceSlack, err = num()
	case "Used":
		u.Used, err = num()
	case "Free (estimated)":
		if u.FreeEstimated, err = num(); err == nil {
			u.FreeEstimatedMin, err = second()
		}
	case "Free (statfs, df)":
		u.FreeStatfs, err = num()
	case "Data ratio":
		u.DataRatio, err = ratio()
	case "Metadata ratio":
		u.MetadataRatio, err = ratio()
	case "Global reserve":
		if u.GlobalReserve, err = num(); err == nil {
			u.GlobalReserveUsed, err = second()
		}
	case "Multiple profiles":
		b := f[0] == "yes"
		u.MultipleProfiles = &b
	}
	return err
}
