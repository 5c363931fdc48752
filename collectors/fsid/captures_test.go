package fsid

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/collectors/lowprobe"
	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

// hostsDir holds the captured hosts (testdata/hosts: archives, and directories with a
// manifest).
const hostsDir = "../../testdata/hosts"

// blkidBlocks is every block a recorded `blkid -p -o export` printed, by DEVNAME, as
// text.
func blkidBlocks(t *testing.T, m *platform.Manifest) map[string]string {
	out := map[string]string{}
	for _, rec := range m.Probes[platform.CommandProbe.Name] {
		var argv []string
		if err := json.Unmarshal(rec.Key, &argv); err != nil || len(argv) == 0 || argv[0] != "blkid" || len(rec.Answer) == 0 {
			continue
		}
		var o platform.CommandOutput
		if err := json.Unmarshal(rec.Answer, &o); err != nil {
			t.Fatalf("blkid record %s: %v", rec.Key, err)
		}
		for _, blk := range strings.Split(o.Stdout, "\n\n") {
			if name, ok := strings.CutPrefix(blk, "DEVNAME="); ok {
				name, _, _ = strings.Cut(name, "\n")
				out[name] = strings.TrimSuffix(blk, "\n") + "\n"
			}
		}
	}
	return out
}

// TestCapturesNativeEqualsBlkid: where a capture holds both the bytes the in-process
// prober read of a device and what blkid printed for it (a capture recorded since the
// prober: blkid then also probes the devices the prober identified), replaying the bytes
// gives blkid's output exactly, value by value and in its order.
func TestCapturesNativeEqualsBlkid(t *testing.T) {
	archives := capturetest.Hosts(t, hostsDir)
	compared := 0
	for _, p := range archives {
		m := capturetest.Manifest(t, p)
		if m == nil || len(m.Probes[NativeProbe.Name]) == 0 {
			continue
		}
		blkid := blkidBlocks(t, m)
		for _, rec := range m.Probes[NativeProbe.Name] {
			var q NativeQuery
			var a NativeAnswer
			if err := json.Unmarshal(rec.Key, &q); err != nil {
				t.Fatalf("%s: key %s: %v", p, rec.Key, err)
			}
			if err := json.Unmarshal(rec.Answer, &a); err != nil {
				t.Fatalf("%s: answer of %s: %v", p, rec.Key, err)
			}
			r := replayNative(q, a)
			check := func(dev string, recorded, d NativeDevice) {
				if d.Error != nil && recorded.Error == nil {
					t.Errorf("%s: %s: the recorded bytes do not replay: %v", filepath.Base(p), dev, d.Error)
					return
				}
				if d.res == nil {
					return // an error, a CD-ROM or a zoned device, recorded as such: blkid's
				}
				want, ok := blkid[dev]
				switch d.res.Status {
				case lowprobe.Identified:
					if !ok {
						t.Errorf("%s: %s: the prober identifies it, blkid printed nothing:\n%s", filepath.Base(p), dev, d.res.Export(dev))
					} else if got := d.res.Export(dev); got != want {
						t.Errorf("%s: %s: the prober replays to\n%s\nblkid printed\n%s", filepath.Base(p), dev, got, want)
					}
					compared++
				case lowprobe.Empty:
					if ok {
						t.Errorf("%s: %s: the prober finds nothing; blkid printed\n%s", filepath.Base(p), dev, want)
					}
				}
			}
			check(q.Disk, a.Disk, r.Disk)
			for i, part := range q.Parts {
				var recorded NativeDevice
				if i < len(a.Parts) {
					recorded = a.Parts[i]
				}
				check(part.Path, recorded, r.Parts[i])
			}
		}
	}
	if compared == 0 {
		t.Error("no capture holds both answers for any device (re-record one: e2e/discover -record-hosts)")
	}
	t.Logf("%d devices compared", compared)
}
