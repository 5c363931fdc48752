//go:build !windows

package sms

import (
	"fmt"
	"io/fs"
	"syscall"
)

func checkPrivate(fi fs.FileInfo, euid int) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: mode %#o lets others read it; run chmod 600", ErrConfigPermissions, perm)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && euid >= 0 && int(st.Uid) != euid {
		return fmt.Errorf("%w: owned by uid %d, not by the agent's user (uid %d)", ErrConfigPermissions, st.Uid, euid)
	}
	return nil
}
