package hostfacts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sms-agent/sms-agent/collectors/boot"
	"github.com/sms-agent/sms-agent/platform"
)

const procNetRoute = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0100A8C0	0003	0	0	100	00000000	0	0	0
eth0	0000A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
eth1	0000000A	00000000	0001	0	0	0	000000FF	0	0	0
eth1	0010000A	FE00000A	0003	0	0	0	00F0FFFF	0	0	0
`

func TestParseProcNetRoute(t *testing.T) {
	rs, err := parseProcNetRoute(strings.NewReader(procNetRoute))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("got %d routes; want 4", len(rs))
	}
	if got, want := rs[0], (route{Iface: "eth0", Destination: netip.MustParseAddr("0.0.0.0"), Gateway: netip.MustParseAddr("192.168.0.1"), Mask: netip.MustParseAddr("0.0.0.0"), Flags: 3}); got != want {
		t.Errorf("route 0 = %+v; want %+v", got, want)
	}
	if ifc, gw := defaultRoute(rs); ifc != "eth0" || gw != "192.168.0.1" {
		t.Errorf("defaultRoute = %s %s", ifc, gw)
	}
	if gw, ok := gatewayOf(rs, "eth1"); !ok || gw != "10.0.0.254" {
		t.Errorf("gatewayOf(eth1) = %s %v", gw, ok)
	}
	for _, bad := range []string{"h\neth0 0000 x\n", "h\neth0 ZZ000000 00000000 0003 0 0 0 00000000\n", "h\neth0 00000000 00000000 0003 0 0 0 000000\n"} {
		if _, err := parseProcNetRoute(strings.NewReader(bad)); !errors.Is(err, ErrFileParse) {
			t.Errorf("parse %q: err %v; want ErrFileParse", bad, err)
		}
	}
}

func FuzzParseProcNetRoute(f *testing.F) {
	f.Add(procNetRoute)
	f.Add("h\n\n")
	f.Add("Iface\tDestination\nlo 0100007F 00000000 0001 0 0 0 000000FF\n\n  eth9  FFFFFFFF 01020304 ffff 1 2 3 00000000 1500\n")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := parseProcNetRoute(strings.NewReader(s))
		if err != nil {
			return
		}
		defaultRoute(rs)
		// The routes written back as /proc/net/route lines read back the same.
		le := func(a netip.Addr) string {
			b := a.As4()
			return fmt.Sprintf("%02X%02X%02X%02X", b[3], b[2], b[1], b[0])
		}
		w := "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
		for _, r := range rs {
			w += fmt.Sprintf("%s\t%s\t%s\t%04X\t0\t0\t0\t%s\t0\t0\t0\n", r.Iface, le(r.Destination), le(r.Gateway), r.Flags, le(r.Mask))
		}
		back, err := parseProcNetRoute(strings.NewReader(w))
		if err != nil || !cmp.Equal(back, rs, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
			t.Fatalf("written back as %q: %+v, %v; want %+v", w, back, err, rs)
		}
	})
}

func TestNetmask4(t *testing.T) {
	for bits, want := range map[int]string{0: "0.0.0.0", 8: "255.0.0.0", 20: "255.255.240.0", 24: "255.255.255.0", 32: "255.255.255.255", 33: ""} {
		if got := netmask4(bits); got != want {
			t.Errorf("netmask4(%d) = %s; want %s", bits, got, want)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if strings.HasPrefix(content, "->") {
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.Symlink(strings.TrimPrefix(content, "->"), full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if strings.HasSuffix(p, "/") {
			os.MkdirAll(full, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestReadFacts(t *testing.T) {
	root := writeTree(t, map[string]string{
		"/sys/class/net/lo/address":                  "00:00:00:00:00:00\n",
		"/sys/class/net/eth0/address":                "fa:16:3e:00:00:01\n",
		"/sys/class/net/eth0/mtu":                    "1500\n",
		"/sys/class/net/eth1/address":                "fa:16:3e:00:00:02\n",
		"/sys/class/net/eth1/mtu":                    "9000\n",
		"/sys/devices/virtual/net/docker0/address":   "02:42:ac:11:00:01\n",
		"/sys/class/net/docker0":                     "->../../devices/virtual/net/docker0",
		"/proc/net/route":                            procNetRoute,
		"/usr/bin/rsync":                             "",
		"/boot/grub2/grub.cfg":                       "",
		"/sys/bus/virtio/drivers/virtio_blk/":        "",
		"/dev/raw/rawctl":                            "",
		"/dev/raw/raw1":                              "",
		"/etc/centos-release":                        "CentOS Linux release 7.9.2009 (Core)\n",
		"/sys/devices/virtual/net/docker0/mtu":       "1500",
		"/sys/bus/xen/":                              "",
		"/sys/devices/virtual/net/docker0/operstate": "up",
	})
	r := Reader{FS: platform.NewFS(root), Interfaces: func() ([]Interface, error) {
		return []Interface{
			{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("fe80::1/64"), netip.MustParsePrefix("192.168.0.10/24"), netip.MustParsePrefix("fd00::10/64")}},
			{Name: "eth1", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.16.5/20")}},
			{Name: "docker0", Addrs: []netip.Prefix{netip.MustParsePrefix("172.17.0.1/16")}},
		}, nil
	}}
	got, warns := r.Read(context.Background())
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	want := Facts{
		Networks: []Network{
			{Name: "eth0", IP: "192.168.0.10", IPv6: "fd00::10", Netmask: "255.255.255.0", Gateway: "192.168.0.1", MTU: ptr(int64(1500)), MAC: "fa:16:3e:00:00:01"},
			{Name: "eth1", IP: "10.0.16.5", Netmask: "255.255.240.0", Gateway: "10.0.0.254", MTU: ptr(int64(9000)), MAC: "fa:16:3e:00:00:02"},
		},
		HasRsync: ptr(true), HasTc: ptr(false), Paravirtualization: ptr(true), BootLoader: "GRUB",
		RawDevices: ptr("/dev/raw/raw1"), ReleaseVersion: "CentOS Linux release 7.9.2009 (Core)",
		Boot: &boot.Facts{Images: []string{}, XenPV: ptr(false), SELinux: "disabled"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}

	// A capture: no live addresses, nothing installed, no /sys/bus.
	bare := writeTree(t, map[string]string{"/sys/class/net/ens3/address": "52:54:00:12:34:56\n", "/dev/": "", "/boot/efi/EFI/ubuntu/grub.cfg": ""})
	got, _ = Reader{FS: platform.NewFS(bare)}.Read(context.Background())
	want = Facts{Networks: []Network{{Name: "ens3", MAC: "52:54:00:12:34:56"}}, HasRsync: ptr(false), HasTc: ptr(false), BootLoader: "GRUB", RawDevices: ptr(""),
		Boot: &boot.Facts{Images: []string{}, XenPV: ptr(false), SELinux: "disabled"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("bare facts (-want +got):\n%s", d)
	}
}
