package platform

import (
	"fmt"
	"strings"
)

// storable says whether a capture entry can be a file here: Windows reserves ':' (a
// Linux capture's /sys/devices/pci0000:00/...).
func storable(name string) error {
	if strings.ContainsAny(name, `:*?"<>|\`) {
		return fmt.Errorf("entry %q: %w", name, ErrCaptureUnstorable)
	}
	return nil
}

// symlinkError: Windows makes a symbolic link only with a privilege, and Wine not
// through the calls os.Root makes: a capture whose links cannot be made cannot be
// stored here.
func symlinkError(err error) error { return fmt.Errorf("%w (%v)", ErrCaptureUnstorable, err) }
