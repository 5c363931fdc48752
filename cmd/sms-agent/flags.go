package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sms-agent/sms-agent/platform"
)

// Every command parses its flags with newFlagSet and parseFlags (or parseFlagsArgs),
// which make usage errors one line ("sms-agent task create: --type "BOGUS": want
// MIGRATE_FILE or MIGRATE_BLOCK; see 'sms-agent task create --help'", exit 2) and
// print --help on stdout. The flag types below check their values as they are set,
// from the command line or the config file alike, so a bad value is a usage error
// wherever it comes from.

// flagOutput is a flag set's output: it swallows what the flag package prints on its
// own (parseFlags prints one line instead) and carries what help and errors need.
type flagOutput struct {
	a        *app
	synopsis string
}

func (*flagOutput) Write(p []byte) (int, error) { return len(p), nil }

func newFlagSet(a *app, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{a: a, synopsis: synopsis})
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, which must hold flags only; it returns an exit code and false
// when the command should stop (help printed, or a usage error).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	_, code, ok := parseFlagsArgs(fs, args, 0)
	return code, ok
}

// parseFlagsArgs parses args and returns the at most max arguments after the flags.
func parseFlagsArgs(fs *flag.FlagSet, args []string, max int) ([]string, int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(fs)
			return nil, exitOK, false
		}
		return nil, usageError(fs, flagError(err)), false
	}
	if fs.NArg() > max {
		return nil, usageError(fs, "unexpected argument "+platform.QuoteValue(fs.Arg(max))), false
	}
	return fs.Args(), 0, true
}

// usageError prints a usage error of the command of fs as one line, pointing at its
// help, and returns exitUsage.
func usageError(fs *flag.FlagSet, msg string) int {
	line := fmt.Sprintf("%s: %s; see 'sms-agent %s --help'", fs.Name(), msg, fs.Name())
	if out, ok := fs.Output().(*flagOutput); ok {
		out.a.errorf("%s", line)
	} else {
		fmt.Fprintln(os.Stderr, "sms-agent: "+line)
	}
	return exitUsage
}

// flagError rewrites the flag package's error as the rest of the agent words them
// ("--name", values quoted and cut).
func flagError(err error) string {
	s := err.Error()
	if name, ok := strings.CutPrefix(s, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimPrefix(name, "-")
	}
	if name, ok := strings.CutPrefix(s, "flag needs an argument: -"); ok {
		return "flag --" + name + " needs a value"
	}
	for _, p := range []struct{ prefix, mid string }{{"invalid value ", " for flag -"}, {"invalid boolean value ", " for -"}} {
		rest, ok := strings.CutPrefix(s, p.prefix)
		if !ok {
			continue
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			break
		}
		value, _ := strconv.Unquote(q)
		name, why, ok := strings.Cut(strings.TrimPrefix(rest[len(q):], p.mid), ": ")
		if !ok {
			break
		}
		if p.mid == " for -" {
			why = "want true or false"
		}
		return "--" + name + " " + platform.QuoteValue(value) + ": " + why
	}
	return oneLine(s)
}

// oneLine keeps a message on one line and short.
func oneLine(s string) string {
	q := platform.QuoteValue(s)
	if q[1:len(q)-1] == s {
		return s
	}
	return q
}

// printHelp prints the command's synopsis and flags on stdout.
func printHelp(fs *flag.FlagSet) {
	out, ok := fs.Output().(*flagOutput)
	if !ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: sms-agent %s\n\nFlags:\n", out.synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		if t, ok := f.Value.(interface{ Type() string }); ok {
			typ = t.Type()
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			typ = ""
		}
		fmt.Fprintf(&b, "  --%s", f.Name)
		if typ != "" {
			b.WriteString(" " + typ)
		}
		b.WriteString("\n        " + usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	b.WriteString("\nExit codes: 0 complete, 1 failure, 2 usage error, 3 partial result (warnings), 4 a check said ERROR, 130/143 interrupted.\n")
	fmt.Fprint(out.a.Stdout, b.String())
}

// durationValue is a duration that must be above 0.
type durationValue struct{ p *time.Duration }

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.Var(durationValue{p}, name, usage)
}

func (v durationValue) String() string {
	if v.p == nil {
		return ""
	}
	return v.p.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return errors.New("want a duration above 0, like 2s or 500ms")
	}
	*v.p = d
	return nil
}

func (durationValue) Type() string { return "DURATION" }

// intValue is an integer in [min, max].
type intValue struct {
	p        *int
	min, max int
}

func intVar(fs *flag.FlagSet, p *int, name string, def, min, max int, usage string) {
	*p = def
	fs.Var(intValue{p, min, max}, name, usage)
}

func (v intValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.min || n > v.max {
		return fmt.Errorf("want an integer from %d to %d", v.min, v.max)
	}
	*v.p = n
	return nil
}

func (intValue) Type() string { return "N" }

// optIntValue is an integer in [min, max] that may be left unset (nil).
type optIntValue struct {
	p        **int64
	min, max int64
}

func (v optIntValue) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.FormatInt(**v.p, 10)
}

func (v optIntValue) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < v.min || n > v.max {
		return fmt.Errorf("want an integer from %d to %d", v.min, v.max)
	}
	*v.p = &n
	return nil
}

func (optIntValue) Type() string { return "N" }

// stringPtr is the String method of the flag values that keep a string.
type stringPtr struct{ p *string }

func (v stringPtr) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// enumValue is one of a few words, matched without regard to case.
type enumValue struct {
	stringPtr
	allowed []string
}

func (v enumValue) Set(s string) error {
	for _, a := range v.allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			*v.p = a
			return nil
		}
	}
	return fmt.Errorf("want %s or %s", strings.Join(v.allowed[:len(v.allowed)-1], ", "), v.allowed[len(v.allowed)-1])
}

func (v enumValue) Type() string { return strings.Join(v.allowed, "|") }

// listValue is a comma-separated list of names (of disks, partitions, LVs) with at
// least one item, each printable, without white space, at most 255 bytes.
type listValue struct {
	stringPtr
	what string // "disks, like /dev/sdb,/dev/sdc"
	item string // "a disk name (want /dev/NAME)"
}

func (v listValue) Set(s string) error {
	items := splitList(s)
	if len(items) == 0 {
		return errors.New("want a comma-separated list of " + v.what)
	}
	for _, it := range items {
		if err := checkName(it, v.item); err != nil && len(items) > 1 {
			return fmt.Errorf("%s: %w", platform.QuoteValue(it), err)
		} else if err != nil {
			return err
		}
	}
	*v.p = strings.Join(items, ",")
	return nil
}

func (listValue) Type() string { return "LIST" }

// checkName accepts what can name a disk, a partition or an LV ("/dev/sdb", "vg/lv"):
// printable, without white space, at most 255 bytes; else "not <item>".
func checkName(s, item string) error {
	ok := strings.TrimPrefix(s, "/dev/") != "" && len(s) <= 255
	for _, r := range s {
		ok = ok && unicode.IsPrint(r) && !unicode.IsSpace(r)
	}
	if !ok {
		return errors.New("not " + item)
	}
	return nil
}

const diskName = "a disk name (want /dev/NAME)"

func diskListVar(fs *flag.FlagSet, p *string, name, usage string) {
	fs.Var(listValue{stringPtr{p}, "disks, like /dev/sdb,/dev/sdc", diskName}, name, usage)
}

func excludeListVar(fs *flag.FlagSet, p *string, usage string) {
	fs.Var(listValue{stringPtr{p}, "disks, partitions or LVs, like /dev/sdb,/dev/sdc1,vg0/data", "a disk, partition or LV name (/dev/NAME or VG/LV)"}, "exclude", usage)
}

// checkedValue is a string that must pass check (an endpoint, a proxy).
type checkedValue struct {
	stringPtr
	typ   string
	check func(string) error
}

func (v checkedValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if err := v.check(s); err != nil {
		return err
	}
	*v.p = s
	return nil
}

func (v checkedValue) Type() string { return v.typ }

// withoutSubject drops the "subject ...: " an error begins with: the flag's message
// names the flag and its value already.
func withoutSubject(err error, subject string) error {
	if err == nil || !strings.HasPrefix(err.Error(), subject) {
		return err
	}
	if _, why, ok := strings.Cut(err.Error(), ": "); ok {
		return errors.New(why)
	}
	return err
}

// diskIDsValue is --disk-ids: DISK=ID pairs.
type diskIDsValue struct{ p *map[string]string }

func (v diskIDsValue) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return ""
	}
	var parts []string
	for k, id := range *v.p {
		parts = append(parts, k+"="+id)
	}
	return strings.Join(parts, ",")
}

func (v diskIDsValue) Set(s string) error {
	m, err := parseDiskIDs(s)
	if err != nil {
		return err
	}
	*v.p = m
	return nil
}

func (diskIDsValue) Type() string { return "DISK=ID,..." }

func parseDiskIDs(s string) (map[string]string, error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, errors.New("want DISK=ID pairs, like /dev/vda=ID,/dev/vdb=ID")
	}
	out := map[string]string{}
	for _, p := range items {
		var err error
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			err = errors.New("want DISK=ID")
		} else {
			err = checkName(k, diskName)
		}
		if err != nil && len(items) > 1 {
			return nil, fmt.Errorf("%s: %w", platform.QuoteValue(p), err)
		} else if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// optBool is a boolean flag that remembers whether it was given (unset: omitted from
// the body, SMS's default applies).
type optBool struct{ v *bool }

func (b *optBool) String() string {
	if b == nil || b.v == nil {
		return ""
	}
	return strconv.FormatBool(*b.v)
}

func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want true or false")
	}
	b.v = &v
	return nil
}

func (b *optBool) IsBoolFlag() bool { return true }

// splitList splits a comma-separated flag value, dropping empty items (nil when none).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
