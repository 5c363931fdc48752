package winhost

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/sms-agent/sms-agent/platform"
)

// Info is the Windows host's facts; Errs says what could not be read.
type Info struct {
	Hostname      string
	Platform      PlatformInformation
	KernelVersion string // "10.0.17763.5458"
	Arch          string
	CPUs          int
	MemoryBytes   int64
	Firmware      string // UEFI, BIOS or "" when unknown
	SystemDir     string // C:\Windows\system32
	Elevated      *bool
	VSS           *Service
	DriverFiles   *bool
	// Manufacturer, Product and BIOSVendor are the SMBIOS strings Windows keeps under
	// HKLM\HARDWARE\DESCRIPTION\System\BIOS.
	Manufacturer, Product, BIOSVendor string
	Errs                              []error
}

// BIOSKey is where Windows keeps the SMBIOS system strings.
const BIOSKey = `HARDWARE\DESCRIPTION\System\BIOS`

// VirtioDrivers are the drivers a KVM guest (a Huawei Cloud ECS) boots and reaches the
// network with: the virtio block or SCSI driver, and the virtio network driver.
var VirtioDrivers = struct{ Storage, Network []string }{
	Storage: []string{"viostor.sys", "vioscsi.sys"},
	Network: []string{"netkvm.sys"},
}

// Read asks every host probe but the network adapters' (ReadAdapters, for a
// registration), concurrently: none of them waits on a disk.
func Read(ctx context.Context, p platform.Prober) Info {
	var info Info
	var mu sync.Mutex
	fail := func(what string, err error) {
		mu.Lock()
		info.Errs = append(info.Errs, fmt.Errorf("%s: %w", what, err))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	run(func() { ask(ctx, p, HostnameProbe, None{}, &info.Hostname, "hostname", fail) })
	run(func() {
		ask(ctx, p, PlatformProbe, None{}, &info.Platform, "product name (gopsutil host.PlatformInformation)", fail)
	})
	run(func() {
		ask(ctx, p, KernelVersionProbe, None{}, &info.KernelVersion, "kernel version (gopsutil host.KernelVersion)", fail)
		info.KernelVersion = KernelVersion(info.KernelVersion)
	})
	run(func() {
		ask(ctx, p, KernelArchProbe, None{}, &info.Arch, "architecture (gopsutil host.KernelArch)", fail)
	})
	run(func() { ask(ctx, p, CPUCountProbe, true, &info.CPUs, "CPUs (gopsutil cpu.Counts)", fail) })
	run(func() {
		var total uint64
		ask(ctx, p, MemoryProbe, None{}, &total, "memory (gopsutil mem.VirtualMemory)", fail)
		info.MemoryBytes = int64(min(total, 1<<63-1))
	})
	run(func() {
		var t uint32
		ask(ctx, p, FirmwareTypeProbe, None{}, &t, "firmware (GetFirmwareType)", fail)
		info.Firmware = FirmwareName(t)
	})
	run(func() { info.Elevated = askPtr(ctx, p, ElevatedProbe, None{}, "administrator rights", fail) })
	run(func() { info.VSS = askPtr(ctx, p, ServiceProbe, "VSS", "VSS service", fail) })
	run(func() {
		regs := []RegistryValue{{BIOSKey, "SystemManufacturer"}, {BIOSKey, "SystemProductName"}, {BIOSKey, "BIOSVendor"}}
		as := platform.AskAll(ctx, p, RegistryProbe, regs)
		info.Manufacturer, info.Product, info.BIOSVendor = as[0].Value, as[1].Value, as[2].Value
		for _, a := range as {
			if a.Err != nil {
				fail("hardware vendor", a.Err)
				break
			}
		}
	})
	run(func() {
		var err error
		if info.SystemDir, err = platform.Ask(ctx, p, SystemDirectoryProbe, None{}); err != nil {
			fail("system directory (GetSystemDirectoryW)", err)
			return
		}
		info.DriverFiles = driverFiles(ctx, p, info.SystemDir, fail)
	})
	wg.Wait()
	return info
}

// ask stores probe's answer to q in dst, or says what could not be read.
func ask[Q, A any](ctx context.Context, p platform.Prober, probe platform.Probe[Q, A], q Q, dst *A, what string, fail func(string, error)) {
	v, err := platform.Ask(ctx, p, probe, q)
	if err != nil {
		fail(what, err)
		return
	}
	*dst = v
}

// askPtr is probe's answer to q, nil when it could not be read (and says so).
func askPtr[Q, A any](ctx context.Context, p platform.Prober, probe platform.Probe[Q, A], q Q, what string, fail func(string, error)) *A {
	v, err := platform.Ask(ctx, p, probe, q)
	if err != nil {
		fail(what, err)
		return nil
	}
	return &v
}

// driverFiles says whether the virtio storage and network drivers are installed in the
// system's drivers folder (nil when that could not be checked).
func driverFiles(ctx context.Context, p platform.Prober, sysDir string, fail func(string, error)) *bool {
	dir := strings.TrimRight(sysDir, `\`) + `\drivers\`
	var paths []string
	for _, n := range append(append([]string{}, VirtioDrivers.Storage...), VirtioDrivers.Network...) {
		paths = append(paths, dir+n)
	}
	found := map[string]bool{}
	for i, a := range platform.AskAll(ctx, p, FileExistsProbe, paths) {
		if a.Err != nil {
			fail("driver files", a.Err)
			return nil
		}
		found[paths[i]] = a.Value
	}
	anyOf := func(names []string) bool {
		for _, n := range names {
			if found[dir+n] {
				return true
			}
		}
		return false
	}
	ok := anyOf(VirtioDrivers.Storage) && anyOf(VirtioDrivers.Network)
	return &ok
}

// KernelVersion keeps the version of gopsutil's "10.0.17763.5458 Build 17763.5458".
func KernelVersion(s string) string {
	v, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return v
}

// FirmwareName names a GetFirmwareType answer: UEFI, BIOS, or "" (unknown).
func FirmwareName(t uint32) string {
	switch t {
	case 1:
		return "BIOS"
	case 2:
		return "UEFI"
	}
	return ""
}

// ReadAdapters lists the network adapters.
func ReadAdapters(ctx context.Context, p platform.Prober) ([]Adapter, error) {
	return platform.Ask(ctx, p, AdaptersProbe, None{})
}
