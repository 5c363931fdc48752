package inventory

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
)

// TestWriteTreeLVRow: an LV's row shows its filesystem's UUID (as disk and partition
// rows do), not lvm's LV UUID. vm-lvm-active: smsvg0/root is ext4 c77fc872-... per
// blkid run on dm-0 in the VM (vm-lvm-active.reference/blkid.txt), mounted on /.
func TestWriteTreeLVRow(t *testing.T) {
	archive := hostsDir + "/vm-lvm-active.tar.gz"
	c := capturetest.Open(t, archive)
	inv, err := Discover(context.Background(), c.Host(time.Now), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	WriteTree(&buf, inv)
	var row string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "├─root ") || strings.HasPrefix(l, "└─root ") {
			row = l
		}
	}
	f := strings.Fields(row)
	if len(f) < 5 || f[2] != "ext4" || f[3] != "c77fc872-645f-4da8-a593-6bff7cebc3c9" || f[4] != "/" {
		t.Errorf("root LV row %q; want ext4, the filesystem UUID and /\n%s", row, buf.String())
	}
}
