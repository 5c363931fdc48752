//go:build linux

package platform

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFileRawSizes: a file is read whole whatever its size around the stack
// buffer's 512 bytes and the heap buffer's 4 KiB, and cut at the limit.
func TestReadFileRawSizes(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ size, limit, want int }{
		{0, 1 << 20, 0}, {1, 1 << 20, 1}, {511, 1 << 20, 511}, {512, 1 << 20, 512}, {513, 1 << 20, 513},
		{4096, 1 << 20, 4096}, {4097, 1 << 20, 4097}, {100000, 1 << 20, 100000},
		{1000, 100, 100}, {1000, 512, 512}, {10000, 600, 600}, {10000, 5000, 5000},
	} {
		data := bytes.Repeat([]byte("0123456789abcdef"), tt.size/16+1)[:tt.size]
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readFileRaw(p, tt.limit)
		if err != nil || !bytes.Equal(got, data[:tt.want]) {
			t.Errorf("size %d, limit %d: %d bytes, err %v; want the first %d", tt.size, tt.limit, len(got), err, tt.want)
		}
	}
}
