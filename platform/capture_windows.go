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
