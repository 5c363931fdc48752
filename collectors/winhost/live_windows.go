package winhost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"unsafe"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/sms-agent/sms-agent/platform"
)

// The live answers. gopsutil's host, cpu and mem only read (the registry, RtlGetVersion,
// GetActiveProcessorCount, GlobalMemoryStatusEx); gopsutil/v4/disk, whose init() writes
// HKLM, is never imported (TestNoGopsutilDisk). The Win32 calls open everything for
// queries only.

func liveHostname(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[string] {
	return platform.AnswerEach(qs, func(None) (string, error) { return os.Hostname() })
}

func livePlatform(ctx context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[PlatformInformation] {
	return platform.AnswerEach(qs, func(None) (PlatformInformation, error) {
		p, f, v, err := host.PlatformInformationWithContext(ctx)
		return PlatformInformation{Platform: p, Family: f, Version: v}, err
	})
}

func liveKernelVersion(ctx context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[string] {
	return platform.AnswerEach(qs, func(None) (string, error) { return host.KernelVersionWithContext(ctx) })
}

func liveKernelArch(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[string] {
	return platform.AnswerEach(qs, func(None) (string, error) { return host.KernelArch() })
}

func liveCPUCount(ctx context.Context, _ platform.LiveEnv, qs []bool) []platform.Answer[int] {
	return platform.AnswerEach(qs, func(logical bool) (int, error) { return cpu.CountsWithContext(ctx, logical) })
}

func liveMemory(ctx context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[uint64] {
	return platform.AnswerEach(qs, func(None) (uint64, error) {
		v, err := mem.VirtualMemoryWithContext(ctx)
		if err != nil {
			return 0, err
		}
		return v.Total, nil
	})
}

var procGetFirmwareType = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetFirmwareType")

func liveFirmwareType(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[uint32] {
	return platform.AnswerEach(qs, func(None) (uint32, error) {
		if err := procGetFirmwareType.Find(); err != nil {
			return 0, fmt.Errorf("GetFirmwareType: %w (%w)", err, errors.ErrUnsupported)
		}
		var t uint32
		if r, _, err := procGetFirmwareType.Call(uintptr(unsafe.Pointer(&t))); r == 0 {
			return 0, fmt.Errorf("GetFirmwareType: %w", err)
		}
		return t, nil
	})
}

func liveSystemDirectory(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[string] {
	return platform.AnswerEach(qs, func(None) (string, error) { return windows.GetSystemDirectory() })
}

func liveElevated(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[bool] {
	return platform.AnswerEach(qs, func(None) (bool, error) { return windows.GetCurrentProcessToken().IsElevated(), nil })
}

func liveService(_ context.Context, _ platform.LiveEnv, qs []string) []platform.Answer[Service] {
	return platform.AnswerEach(qs, func(name string) (Service, error) {
		scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
		if err != nil {
			return Service{}, fmt.Errorf("OpenSCManagerW: %w", err)
		}
		defer windows.CloseServiceHandle(scm)
		n, err := windows.UTF16PtrFromString(name)
		if err != nil {
			return Service{}, err
		}
		h, err := windows.OpenService(scm, n, windows.SERVICE_QUERY_CONFIG|windows.SERVICE_QUERY_STATUS)
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return Service{Exists: false}, nil
		}
		if err != nil {
			return Service{}, fmt.Errorf("OpenServiceW %s: %w", name, err)
		}
		defer windows.CloseServiceHandle(h)
		// QueryServiceConfigW alone: mgr.Service.Config also asks QueryServiceConfig2W for
		// the description, which Wine refuses (ERROR_INVALID_LEVEL).
		var cfg *windows.QUERY_SERVICE_CONFIG
		for size := uint32(1024); ; {
			buf := make([]byte, size)
			cfg = (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
			err = windows.QueryServiceConfig(h, cfg, size, &size)
			if errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) && size <= 1<<20 {
				continue
			}
			break
		}
		if err != nil {
			return Service{}, fmt.Errorf("QueryServiceConfigW %s: %w", name, err)
		}
		var st windows.SERVICE_STATUS
		if err := windows.QueryServiceStatus(h, &st); err != nil {
			return Service{}, fmt.Errorf("QueryServiceStatus %s: %w", name, err)
		}
		return Service{Exists: true, StartType: cfg.StartType, State: st.CurrentState}, nil
	})
}

func liveFileExists(_ context.Context, _ platform.LiveEnv, qs []string) []platform.Answer[bool] {
	return platform.AnswerEach(qs, func(p string) (bool, error) {
		u, err := windows.UTF16PtrFromString(p)
		if err != nil {
			return false, err
		}
		_, err = windows.GetFileAttributes(u)
		if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("GetFileAttributesW %s: %w", p, err)
		}
		return true, nil
	})
}

func liveRegistry(_ context.Context, _ platform.LiveEnv, qs []RegistryValue) []platform.Answer[string] {
	return platform.AnswerEach(qs, func(v RegistryValue) (string, error) {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, v.Key, registry.QUERY_VALUE)
		if err != nil {
			return "", fmt.Errorf(`registry HKLM\%s: %w`, v.Key, err)
		}
		defer k.Close()
		s, _, err := k.GetStringValue(v.Name)
		if err != nil {
			return "", fmt.Errorf(`registry HKLM\%s\%s: %w`, v.Key, v.Name, err)
		}
		return s, nil
	})
}

func liveAdapters(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[[]Adapter] {
	return platform.AnswerEach(qs, func(None) ([]Adapter, error) {
		size := uint32(16 << 10)
		var buf []byte
		for i := 0; ; i++ {
			buf = make([]byte, size)
			err := windows.GetAdaptersAddresses(windows.AF_UNSPEC, windows.GAA_FLAG_INCLUDE_GATEWAYS, 0,
				(*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0])), &size)
			if errors.Is(err, windows.ERROR_BUFFER_OVERFLOW) && i < 4 {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("GetAdaptersAddresses: %w", err)
			}
			break
		}
		out := []Adapter{}
		for a := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0])); a != nil; a = a.Next {
			ad := Adapter{Name: windows.BytePtrToString(a.AdapterName), FriendlyName: windows.UTF16PtrToString(a.FriendlyName),
				MTU: a.Mtu, IfType: a.IfType, OperStatus: a.OperStatus, Addresses: []string{}, Gateways: []string{}}
			if n := a.PhysicalAddressLength; n > 0 && n <= uint32(len(a.PhysicalAddress)) {
				ad.MAC = net.HardwareAddr(a.PhysicalAddress[:n]).String()
			}
			for u := a.FirstUnicastAddress; u != nil; u = u.Next {
				if ip, ok := netip.AddrFromSlice(u.Address.IP()); ok {
					ad.Addresses = append(ad.Addresses, netip.PrefixFrom(ip.Unmap(), int(u.OnLinkPrefixLength)).String())
				}
			}
			for g := a.FirstGatewayAddress; g != nil; g = g.Next {
				if ip, ok := netip.AddrFromSlice(g.Address.IP()); ok {
					ad.Gateways = append(ad.Gateways, ip.Unmap().String())
				}
			}
			out = append(out, ad)
		}
		return out, nil
	})
}
