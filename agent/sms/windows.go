package sms

import (
	"context"
	"net/netip"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/winhost"
	"github.com/sms-agent/sms-agent/platform"
)

// Windows registration: the facts only a Windows source has (docs/mapping.md rule 25).

// windowsSourceFields sets the Windows-only registration fields from the inventory's
// host: system_dir, account_rights (the agent runs as an elevated administrator),
// system_services (the VSS service exists and is not disabled), driver_files (the virtio
// drivers are installed) and platform (omitted when not recognised).
func windowsSourceFields(b *PostSourceServerBody, h inventory.Host) {
	w := h.Windows
	if h.OSType != OSWindows || w == nil {
		return
	}
	b.SystemDir = w.SystemDir
	b.AccountRights = w.Administrator
	switch w.VSSService {
	case "":
	case "missing", "disabled":
		b.SystemServices = ptr(false)
	default:
		b.SystemServices = ptr(true)
	}
	b.DriverFiles = w.DriverFiles
	b.Platform = w.Platform
	for i := range b.Disks {
		for j := range b.Disks[i].PhysicalVolumes {
			pv := &b.Disks[i].PhysicalVolumes[j]
			pv.InodeSize, pv.InodeNums = nil, nil // NTFS has no inode count
		}
	}
}

// windowsTargetFields drops what a Windows target layout has no use for: inode counts.
func windowsTargetFields(ts *TargetServerByTask, h inventory.Host) {
	if h.OSType != OSWindows {
		return
	}
	for i := range ts.Disks {
		for j := range ts.Disks[i].PhysicalVolumes {
			ts.Disks[i].PhysicalVolumes[j].InodeSize = nil
		}
	}
}

// sizePerCluster is a Windows partition's cluster size, omitted when unknown (Linux).
func sizePerCluster(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return ptr(n)
}

// WindowsFacts reads the registration facts of a Windows host that its inventory does
// not hold: the network adapters (GetAdaptersAddresses).
func WindowsFacts(ctx context.Context, p platform.Prober) (HostFacts, []string) {
	ads, err := winhost.ReadAdapters(ctx, p)
	if err != nil {
		return HostFacts{Networks: []NetWork{}}, []string{"networks: " + err.Error()}
	}
	return HostFacts{Networks: WindowsNetworks(ads)}, nil
}

// WindowsNetworks maps the adapters to SMS networks: adapters with a MAC, not loopback
// or tunnels, those with a default gateway first, then by name; each with its first
// IPv4 address and netmask, first global IPv6 address, first IPv4 gateway and MTU.
func WindowsNetworks(ads []winhost.Adapter) []NetWork {
	const ifLoopback, ifTunnel = 24, 131
	var out []NetWork
	for _, a := range ads {
		if a.MAC == "" || a.IfType == ifLoopback || a.IfType == ifTunnel {
			continue
		}
		n := NetWork{Name: cmpOr(a.FriendlyName, a.Name), MAC: strings.ToLower(a.MAC)}
		if a.MTU > 0 && a.MTU <= maxInt32 {
			n.MTU = ptr(int64(a.MTU))
		}
		for _, s := range a.Addresses {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			switch {
			case p.Addr().Is4() && n.IP == "":
				n.IP, n.Netmask = p.Addr().String(), netmask4(p.Bits())
			case p.Addr().Is6() && p.Addr().IsGlobalUnicast() && n.IPv6 == "":
				n.IPv6 = p.Addr().String()
			}
		}
		for _, g := range a.Gateways {
			if ip, err := netip.ParseAddr(g); err == nil && ip.Is4() {
				n.Gateway = ip.String()
				break
			}
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Gateway != "") != (out[j].Gateway != "") {
			return out[i].Gateway != ""
		}
		return out[i].Name < out[j].Name
	})
	if out == nil {
		out = []NetWork{}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
