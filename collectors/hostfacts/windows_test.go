package hostfacts

import (
	"encoding/json"
	"testing"

	"github.com/sms-agent/sms-agent/collectors/winhost"
)

// TestWindowsNetworks: loopback and tunnels are left out, the adapter with a default
// gateway comes first, each with its first IPv4 (and netmask), first global IPv6 and
// IPv4 gateway.
func TestWindowsNetworks(t *testing.T) {
	ads := []winhost.Adapter{
		{Name: "{B}", FriendlyName: "Backup", MAC: "24:6E:96:AA:BB:02", MTU: 1500, IfType: 6, Addresses: []string{"169.254.7.7/16"}},
		{Name: "{L}", FriendlyName: "Loopback Pseudo-Interface 1", IfType: 24, Addresses: []string{"127.0.0.1/8"}},
		{Name: "{T}", FriendlyName: "isatap", MAC: "00:00:00:00:00:00:00:e0", IfType: 131},
		{Name: "{E}", FriendlyName: "Ethernet", MAC: "00:15:5d:01:02:03", MTU: 1500, IfType: 6,
			Addresses: []string{"fe80::1:1/64", "2001:db8::40/64", "10.0.0.40/24", "10.0.0.41/24"}, Gateways: []string{"fe80::1", "10.0.0.1"}},
	}
	got, _ := json.Marshal(WindowsNetworks(ads))
	want := `[{"name":"Ethernet","ip":"10.0.0.40","ipv6":"2001:db8::40","netmask":"255.255.255.0","gateway":"10.0.0.1","mtu":1500,"mac":"00:15:5d:01:02:03"},` +
		`{"name":"Backup","ip":"169.254.7.7","netmask":"255.255.0.0","gateway":"","mtu":1500,"mac":"24:6e:96:aa:bb:02"}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := WindowsNetworks(nil); got == nil || len(got) != 0 {
		t.Errorf("no adapters: %#v; want []", got)
	}
}
