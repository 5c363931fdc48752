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
	run(func() {
		var err error
		if info.Hostname, err = platform.Ask(ctx, p, HostnameProbe, None{}); err != nil {
			fail("hostname", err)
		}
	})
	run(func() {
		var err error
		if info.Platform, err = platform.Ask(ctx, p, PlatformProbe, None{}); err != nil {
			fail("product name (gopsutil host.PlatformInformation)", err)
		}
	})
	run(func() {
		v, err := platform.Ask(ctx, p, KernelVersionProbe, None{})
		if err != nil {
			fail("kernel version (gopsutil host.KernelVersion)", err)
		}
		info.KernelVersion = KernelVersion(v)
	})
	run(func() {
		var err error
		if info.Arch, err = platform.Ask(ctx, p, KernelArchProbe, None{}); err != nil {
			fail("architecture (gopsutil host.KernelArch)", err)
		}
	})
	run(func() {
		var err error
		if info.CPUs, err = platform.Ask(ctx, p, CPUCountProbe, true); err != nil {
			fail("CPUs (gopsutil cpu.Counts)", err)
		}
	})
	run(func() {
		v, err := platform.Ask(ctx, p, MemoryProbe, None{})
		if err != nil {
			fail("memory (gopsutil mem.VirtualMemory)", err)
		}
		info.MemoryBytes = int64(min(v, 1<<63-1))
	})
	run(func() {
		t, err := platform.Ask(ctx, p, FirmwareTypeProbe, None{})
		if err != nil {
			fail("firmware (GetFirmwareType)", err)
		}
		info.Firmware = FirmwareName(t)
	})
	run(func() {
		v, err := platform.Ask(ctx, p, ElevatedProbe, None{})
		if err != nil {
			fail("administrator rights", err)
			return
		}
		info.Elevated = &v
	})
	run(func() {
		v, err := platform.Ask(ctx, p, ServiceProbe, "VSS")
		if err != nil {
			fail("VSS service", err)
			return
		}
		info.VSS = &v
	})
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
