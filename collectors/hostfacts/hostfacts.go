// Package hostfacts reads the facts a source registration needs that the inventory does
// not carry: network interfaces (/sys/class/net, /proc/net/route and the live addresses),
// the tools migration uses (rsync, tc), paravirtual drivers, the boot loader, raw
// devices, the release file, and what the target needs to boot (collectors/boot). All
// of it is read through platform.FS, so a capture records it; the live interface
// addresses, which no file holds, travel in the capture's manifest. See README.md.
package hostfacts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/collectors/boot"
	"github.com/sms-agent/sms-agent/platform"
)

// Facts are the registration facts the inventory does not carry. Pointers and
// empty strings are "unknown" and are omitted from the body. `--facts FILE` reads this
// JSON instead of the host (agent/sms names it HostFacts).
type Facts struct {
	Networks           []Network `json:"networks"`
	HasRsync           *bool     `json:"has_rsync,omitempty"`
	HasTc              *bool     `json:"has_tc,omitempty"`
	Paravirtualization *bool     `json:"paravirtualization,omitempty"`
	BootLoader         string    `json:"boot_loader,omitempty"` // GRUB or LILO
	RawDevices         *string   `json:"raw_devices,omitempty"` // comma-separated /dev/raw/rawN; "" when none
	ReleaseVersion     string    `json:"release_version,omitempty"`
	// Boot is what the target needs to boot (collectors/boot): initramfs images, GRUB's
	// BIOS modules, virtio drivers, Xen PV, SELinux. Not sent; `check` uses it. Absent:
	// unknown.
	Boot *boot.Facts `json:"boot,omitempty"`
}

// Network is one interface of the source as registration sends it (agent/sms's NetWork
// without the id SMS assigns); the JSON is the same.
type Network struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	IPv6    string `json:"ipv6,omitempty"`
	Netmask string `json:"netmask"`
	Gateway string `json:"gateway"`
	MTU     *int64 `json:"mtu,omitempty"`
	MAC     string `json:"mac"`
}

// Interface is one network interface with its addresses, as net.Interfaces reports it.
type Interface struct {
	Name  string
	Addrs []netip.Prefix
}

// Reader reads Facts from a host root. Interfaces gives the addresses of the
// live host (LiveInterfaces); nil when the root is not this machine (a capture), and
// the addresses are then unknown.
type Reader struct {
	FS         platform.FS
	Interfaces func() ([]Interface, error)
	// Run lists the running kernel's initramfs (boot facts); nil: the boot facts are
	// read without it (virtio drivers unknown).
	Run     platform.Runner
	Timeout time.Duration
	Kernel  string // the running kernel's release
}

// LiveInterfaces lists this machine's interfaces and addresses.
func LiveInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []Interface
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		it := Interface{Name: i.Name}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				ones, _ := n.Mask.Size()
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					it.Addrs = append(it.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// ToCapture converts interfaces for a capture manifest.
func ToCapture(ifs []Interface) []platform.NetInterface {
	out := make([]platform.NetInterface, 0, len(ifs))
	for _, i := range ifs {
		n := platform.NetInterface{Name: i.Name, Addrs: []string{}}
		for _, a := range i.Addrs {
			n.Addrs = append(n.Addrs, a.String())
		}
		out = append(out, n)
	}
	return out
}

// CapturedInterfaces returns an Interfaces func that answers from a capture manifest.
func CapturedInterfaces(ifs []platform.NetInterface) func() ([]Interface, error) {
	return func() ([]Interface, error) {
		out := make([]Interface, 0, len(ifs))
		for _, n := range ifs {
			it := Interface{Name: n.Name}
			for _, a := range n.Addrs {
				p, err := netip.ParsePrefix(a)
				if err != nil {
					return nil, fmt.Errorf("capture: interface %s: address %q: %w", n.Name, a, err)
				}
				it.Addrs = append(it.Addrs, p)
			}
			out = append(out, it)
		}
		return out, nil
	}
}

// Read reads every fact it can; warnings say which could not be read.
func (r Reader) Read(ctx context.Context) (Facts, []string) {
	var f Facts
	var warns []string
	nets, err := r.networks()
	if err != nil {
		warns = append(warns, "networks: "+err.Error())
	}
	f.Networks = nets
	f.HasRsync, f.HasTc = ptr(r.hasTool("rsync")), ptr(r.hasTool("tc"))
	f.BootLoader = r.bootLoader()
	f.Paravirtualization = r.paravirtualization()
	f.RawDevices = r.rawDevices()
	for _, p := range []string{"/etc/centos-release", "/etc/redhat-release", "/etc/debian_version"} {
		if s, err := r.FS.ReadString(p); err == nil && s != "" {
			f.ReleaseVersion = firstLine(s)
			break
		}
	}
	br := boot.Reader{FS: r.FS, Run: r.Run, Timeout: r.Timeout, Kernel: r.Kernel}
	if r.Run == nil {
		br.Kernel = ""
	}
	bf, w := br.Read(ctx)
	f.Boot = &bf
	for _, s := range w {
		warns = append(warns, "boot: "+s)
	}
	return f, warns
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// hasTool looks for an executable name in /usr/bin, /usr/sbin, /bin and /sbin.
func (r Reader) hasTool(name string) bool {
	for _, d := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
		if r.FS.Exists(d + "/" + name) {
			return true
		}
	}
	return false
}

// bootLoader is GRUB when a GRUB configuration directory exists under /boot (grub2 or
// grub, BIOS or EFI), LILO when /etc/lilo.conf exists, else "" (unknown, omitted).
func (r Reader) bootLoader() string {
	for _, p := range []string{"/boot/grub2", "/boot/grub"} {
		if r.FS.Exists(p) {
			return "GRUB"
		}
	}
	if vendors, err := r.FS.ReadDir("/boot/efi/EFI"); err == nil {
		for _, v := range vendors {
			if r.FS.Exists("/boot/efi/EFI/" + v + "/grub.cfg") {
				return "GRUB"
			}
		}
	}
	if r.FS.Exists("/etc/lilo.conf") {
		return "LILO"
	}
	return ""
}

// paravirtualization is true when the guest uses paravirtual devices: a Xen bus with
// devices (/sys/bus/xen/devices) or the virtio block/SCSI/net drivers
// (/sys/bus/virtio/drivers/virtio_blk, virtio_scsi, virtio_net). nil when /sys/bus
// cannot be read.
func (r Reader) paravirtualization() *bool {
	if _, err := r.FS.ReadDir("/sys/bus"); err != nil {
		return nil
	}
	if devs, err := r.FS.ReadDir("/sys/bus/xen/devices"); err == nil && len(devs) > 0 {
		return ptr(true)
	}
	for _, d := range []string{"virtio_blk", "virtio_scsi", "virtio_net"} {
		if r.FS.Exists("/sys/bus/virtio/drivers/" + d) {
			return ptr(true)
		}
	}
	return ptr(false)
}

// rawDevices lists the raw(8) character devices /dev/raw/rawN ("" when none).
func (r Reader) rawDevices() *string {
	names, err := r.FS.ReadDir("/dev/raw")
	if err != nil {
		if r.FS.Exists("/dev") {
			return ptr("")
		}
		return nil
	}
	var raws []string
	for _, n := range names {
		if strings.HasPrefix(n, "raw") && n != "rawctl" {
			raws = append(raws, "/dev/raw/"+n)
		}
	}
	return ptr(strings.Join(raws, ","))
}

// networks lists the interfaces from /sys/class/net: physical ones, and virtual ones
// (bridges, bonds) that carry the default route. The default route's interface comes
// first, the others by name. Loopback and interfaces without a MAC are left out.
func (r Reader) networks() ([]Network, error) {
	names, err := r.FS.ReadDir("/sys/class/net")
	if err != nil {
		return nil, err
	}
	var routes []route
	if b, err := r.FS.ReadFile("/proc/net/route"); err == nil {
		routes, _ = parseProcNetRoute(bytes.NewReader(b))
	}
	defIf, defGw := defaultRoute(routes)
	addrs := map[string][]netip.Prefix{}
	if r.Interfaces != nil {
		ifs, err := r.Interfaces()
		if err != nil {
			return nil, fmt.Errorf("interface addresses: %w", err)
		}
		for _, i := range ifs {
			addrs[i.Name] = i.Addrs
		}
	}
	var out []Network
	for _, n := range names {
		base := "/sys/class/net/" + n
		mac, _ := r.FS.ReadString(base + "/address")
		if n == "lo" || mac == "" || mac == "00:00:00:00:00:00" {
			continue
		}
		if link, err := r.FS.Readlink(base); err == nil && strings.Contains(link, "/virtual/") && n != defIf {
			continue
		}
		nw := Network{Name: n, MAC: mac}
		if s, err := r.FS.ReadString(base + "/mtu"); err == nil {
			if v, err := strconv.ParseInt(s, 10, 32); err == nil {
				nw.MTU = ptr(v)
			}
		}
		for _, p := range addrs[n] {
			switch {
			case p.Addr().Is4() && nw.IP == "":
				nw.IP, nw.Netmask = p.Addr().String(), netmask4(p.Bits())
			case p.Addr().Is6() && !p.Addr().IsLinkLocalUnicast() && nw.IPv6 == "":
				nw.IPv6 = p.Addr().String()
			}
		}
		if gw, ok := gatewayOf(routes, n); ok {
			nw.Gateway = gw
		}
		if n == defIf && defGw != "" {
			nw.Gateway = defGw
		}
		out = append(out, nw)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Name == defIf) != (out[j].Name == defIf) {
			return out[i].Name == defIf
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func netmask4(bits int) string {
	if bits < 0 || bits > 32 {
		return ""
	}
	m := uint32(0)
	if bits > 0 {
		m = ^uint32(0) << (32 - bits)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m)
	return netip.AddrFrom4(b).String()
}

// route is one line of /proc/net/route.
type route struct {
	Iface       string
	Destination netip.Addr
	Gateway     netip.Addr
	Mask        netip.Addr
	Flags       uint64
}

// ErrFileParse is wrapped by the parsers of host files.
var ErrFileParse = errors.New("cannot parse file")

// parseProcNetRoute parses /proc/net/route (see proc(5)): a header line, then
// whitespace-separated fields with addresses in host byte order hex (little-endian on
// the machines SMS migrates).
func parseProcNetRoute(rd io.Reader) ([]route, error) {
	sc := bufio.NewScanner(io.LimitReader(rd, platform.MaxFileSize))
	var out []route
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("%w: /proc/net/route: %d fields in %q", ErrFileParse, len(f), sc.Text())
		}
		dst, err1 := hexAddr(f[1])
		gw, err2 := hexAddr(f[2])
		flags, err3 := strconv.ParseUint(f[3], 16, 64)
		mask, err4 := hexAddr(f[7])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("%w: /proc/net/route: %w", ErrFileParse, err)
		}
		out = append(out, route{Iface: f[0], Destination: dst, Gateway: gw, Mask: mask, Flags: flags})
	}
	return out, sc.Err()
}

func hexAddr(s string) (netip.Addr, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	return netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]}), nil
}

const routeFlagUp, routeFlagGateway = 0x1, 0x2

// defaultRoute returns the interface and gateway of the first up default route.
func defaultRoute(rs []route) (iface, gw string) {
	for _, r := range rs {
		zero := netip.AddrFrom4([4]byte{})
		if r.Destination == zero && r.Mask == zero && r.Flags&routeFlagUp != 0 {
			if r.Flags&routeFlagGateway != 0 {
				return r.Iface, r.Gateway.String()
			}
			return r.Iface, ""
		}
	}
	return "", ""
}

// gatewayOf is the gateway of the first up gateway route through iface.
func gatewayOf(rs []route, iface string) (string, bool) {
	for _, r := range rs {
		if r.Iface == iface && r.Flags&routeFlagUp != 0 && r.Flags&routeFlagGateway != 0 {
			return r.Gateway.String(), true
		}
	}
	return "", false
}

func ptr[T any](v T) *T { return &v }
