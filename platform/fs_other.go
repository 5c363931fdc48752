//go:build !linux

package platform

import (
	"io"
	"os"
	"sort"
)

func readFileRaw(p string, limit int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)))
}

func readDirRaw(p string) ([]string, error) {
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

func openRegularIn(root *os.Root, name string) (*os.File, error) {
	return openRegularInStat(root, name)
}
