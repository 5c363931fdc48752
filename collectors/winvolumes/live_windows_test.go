package winvolumes

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/sms-agent/sms-agent/platform"
)

// The live probes on this Windows (under Wine in CI: make test-windows): C: is found as a
// volume, and its free space is what GetDiskFreeSpaceExW says when asked directly.
func TestLiveVolumes(t *testing.T) {
	ctx := context.Background()
	s := Read(ctx, platform.NewLive(platform.LiveEnv{StatfsTimeout: 10 * time.Second}))
	var c *Volume
	for i := range s.Volumes {
		for _, p := range s.Volumes[i].Paths {
			if strings.EqualFold(p, `C:\`) {
				c = &s.Volumes[i]
			}
		}
	}
	if c == nil {
		t.Fatalf("no volume mounted on C:\\ among %+v", s.Volumes)
	}
	if c.Info == nil || c.Info.FileSystemName == "" || c.FreeEx == nil || c.Free == nil {
		t.Fatalf("C: %+v", c)
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(windows.StringToUTF16Ptr(`C:\`), &avail, &total, &free); err != nil {
		t.Fatal(err)
	}
	if c.FreeEx.TotalNumberOfBytes != total {
		t.Errorf("C: total %d bytes; GetDiskFreeSpaceExW says %d", c.FreeEx.TotalNumberOfBytes, total)
	}
	if cl := uint64(c.Free.SectorsPerCluster) * uint64(c.Free.BytesPerSector) * uint64(c.Free.TotalNumberOfClusters); cl != total {
		t.Errorf("clusters × cluster size = %d; total %d", cl, total)
	}
	if len(s.Disks) == 0 {
		t.Errorf("no disk found (QueryDosDeviceW lists no PhysicalDriveN)")
	}
}
