package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/sms-agent/sms-agent/collectors/hostinfo"
	"github.com/sms-agent/sms-agent/platform"
)

// hostRead is the host's identity and size, with what could not be read.
type hostRead struct {
	info hostinfo.Info
	errs []error
}

// hostInfo reads hostname, OS release, kernel, architecture, CPUs and memory.
func (d *discovery) hostInfo(ctx context.Context) hostRead {
	var r hostRead
	r.info, r.errs = hostinfo.Read(d.h.FS)
	if r.info.Arch == "" { // no /proc/sys/kernel/arch before Linux 6.1
		res, err := d.h.Run.Run(ctx, platform.Command{Argv: []string{"uname", "-m"}, Timeout: d.opt.CommandTimeout})
		if err == nil {
			r.info.Arch = strings.TrimSpace(string(res.Stdout))
		} else {
			r.errs = append(r.errs, fmt.Errorf("architecture unknown: no /proc/sys/kernel/arch, and uname -m: %w", err))
		}
	}
	return r
}

// host is the inventory's host section; what could not be read becomes warnings.
func (d *discovery) host(r hostRead) Host {
	for _, err := range r.errs {
		d.warn("host", err)
	}
	i := r.info
	return Host{
		Hostname: i.Hostname, OSType: "LINUX",
		OS:            OSRelease{ID: i.OS.ID, IDLike: i.OS.IDLike, Name: i.OS.Name, VersionID: i.OS.VersionID, PrettyName: i.OS.PrettyName},
		KernelVersion: i.Kernel, Arch: i.Arch, Firmware: i.Firmware,
		CPUQuantity: i.CPUs, MemoryBytes: i.MemoryBytes,
	}
}
