package hostfacts

import (
	"cmp"
	"context"
	"math"
	"net/netip"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/collectors/winhost"
	"github.com/sms-agent/sms-agent/platform"
)

// Windows reads the registration facts of a Windows host that its inventory does
// not hold: the network adapters (GetAdaptersAddresses).
func Windows(ctx context.Context, p platform.Prober) (Facts, []string) {
	ads, err := winhost.ReadAdapters(ctx, p)
	if err != nil {
		return Facts{Networks: []Network{}}, []string{"networks: " + err.Error()}
	}
	return Facts{Networks: WindowsNetworks(ads)}, nil
}

// WindowsNetworks maps the adapters to SMS networks: adapters with a MAC, not loopback
// or tunnels, those with a default gateway first, then by name; each with its first
// IPv4 address and netmask, first global IPv6 address, first IPv4 gateway and MTU.
func WindowsNetworks(ads []winhost.Adapter) []Network {
	const ifLoopback, ifTunnel = 24, 131
	var out []Network
	for _, a := range ads {
		if a.MAC == "" || a.IfType == ifLoopback || a.IfType == ifTunnel {
			continue
		}
		n := Network{Name: cmp.Or(a.FriendlyName, a.Name), MAC: strings.ToLower(a.MAC)}
		if a.MTU > 0 && a.MTU <= math.MaxInt32 {
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
		out = []Network{}
	}
	return out
}
