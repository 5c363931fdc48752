package lowprobe

import "testing"

// BenchmarkReplay probes the captured devices of a small server (a GPT system disk
// with its three partitions, an MBR disk with an extended partition and six more, an
// XFS disk, an LVM PV) from their captures: the parsing cost alone, without device
// reads. BenchmarkVsBlkid (tag e2e) measures live devices against blkid.
func BenchmarkReplay(b *testing.B) {
	var devs []*fixtureDevice
	for _, name := range []string{"gpt", "mbr-extended", "xfs", "lvm-pv"} {
		fx, err := readFixture("testdata/" + name + ".probe")
		if err != nil {
			b.Fatal(err)
		}
		devs = append(devs, fx.devices...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tables := map[string]*Table{}
		for _, d := range devs {
			t, err := d.capture.Target()
			if err != nil {
				b.Fatal(err)
			}
			if d.disk != "" {
				t.Entry = &EntryQuery{Table: tables[d.disk], Start: d.start, Size: d.size, Disk: d.devno}
			} else if tables[d.name], err = ReadTable(t); err != nil {
				b.Fatal(err)
			}
			if _, err := Probe(t); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(devs)), "ns/device")
}
