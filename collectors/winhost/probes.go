// Package winhost reads a Windows host's facts: the OS and hardware through gopsutil
// (host, cpu, mem: they only read), and through the Win32 API what SMS's registration
// asks of a Windows source (firmware, system directory, administrator rights, the VSS
// service, drivers, network adapters, the SMBIOS vendor). Every call is a
// platform.Probe, recorded by `capture` and replayed anywhere; README.md names them.
package winhost

import "github.com/sms-agent/sms-agent/platform"

// None is the question of a probe that takes no argument (its key is {}).
type None struct{}

// PlatformInformation is gopsutil's host.PlatformInformation: the product name
// ("Microsoft Windows Server 2019 Datacenter"), family ("Server", "Standalone
// Workstation", "Server (Domain Controller)") and display version ("21H2", "" before).
type PlatformInformation struct {
	Platform string `json:"platform"`
	Family   string `json:"family"`
	Version  string `json:"version"`
}

// Service is what the service manager says of one service; Exists false when it has none
// of that name.
type Service struct {
	Exists    bool   `json:"exists"`
	StartType uint32 `json:"start_type"` // 2 automatic, 3 manual, 4 disabled
	State     uint32 `json:"state"`      // 1 stopped, 4 running, ...
}

// Service start types (QueryServiceConfigW).
const (
	ServiceAutoStart   = 2
	ServiceDemandStart = 3
	ServiceDisabled    = 4
)

// RegistryValue names a string value under HKEY_LOCAL_MACHINE.
type RegistryValue struct {
	Key  string `json:"key"` // e.g. HARDWARE\DESCRIPTION\System\BIOS
	Name string `json:"name"`
}

// Adapter is one network adapter as GetAdaptersAddresses reports it.
type Adapter struct {
	Name         string   `json:"name"`          // AdapterName: the adapter's GUID
	FriendlyName string   `json:"friendly_name"` // "Ethernet"
	MAC          string   `json:"mac"`           // aa:bb:cc:dd:ee:ff; "" without one
	MTU          uint32   `json:"mtu"`
	IfType       uint32   `json:"if_type"`     // 6 ethernet, 24 loopback, 71 wifi, 131 tunnel
	OperStatus   uint32   `json:"oper_status"` // 1 up
	Addresses    []string `json:"addresses"`   // unicast, CIDR ("10.0.0.5/24")
	Gateways     []string `json:"gateways"`
}

// The probes.
var (
	// HostnameProbe: the computer name (os.Hostname).
	HostnameProbe = platform.Probe[None, string]{Name: "windows.hostname", Live: liveHostname}
	// PlatformProbe: gopsutil host.PlatformInformationWithContext.
	PlatformProbe = platform.Probe[None, PlatformInformation]{Name: "gopsutil.host_platform_information", Live: livePlatform}
	// KernelVersionProbe: gopsutil host.KernelVersionWithContext ("10.0.17763.5458 Build 17763.5458").
	KernelVersionProbe = platform.Probe[None, string]{Name: "gopsutil.host_kernel_version", Live: liveKernelVersion}
	// KernelArchProbe: gopsutil host.KernelArch ("x86_64").
	KernelArchProbe = platform.Probe[None, string]{Name: "gopsutil.host_kernel_arch", Live: liveKernelArch}
	// CPUCountProbe: gopsutil cpu.CountsWithContext(logical).
	CPUCountProbe = platform.Probe[bool, int]{Name: "gopsutil.cpu_counts", Live: liveCPUCount}
	// MemoryProbe: gopsutil mem.VirtualMemoryWithContext, its Total (bytes).
	MemoryProbe = platform.Probe[None, uint64]{Name: "gopsutil.mem_total", Live: liveMemory}
	// FirmwareTypeProbe: GetFirmwareType (1 BIOS, 2 UEFI).
	FirmwareTypeProbe = platform.Probe[None, uint32]{Name: "windows.firmware_type", Live: liveFirmwareType}
	// SystemDirectoryProbe: GetSystemDirectoryW ("C:\Windows\system32").
	SystemDirectoryProbe = platform.Probe[None, string]{Name: "windows.system_directory", Live: liveSystemDirectory}
	// ElevatedProbe: whether the agent's token is elevated (an administrator's, UAC
	// elevated): what reading disks needs.
	ElevatedProbe = platform.Probe[None, bool]{Name: "windows.token_elevated", Live: liveElevated}
	// ServiceProbe: OpenSCManagerW(SC_MANAGER_CONNECT), OpenServiceW(name, query only),
	// QueryServiceConfigW and QueryServiceStatus.
	ServiceProbe = platform.Probe[string, Service]{Name: "windows.service", Live: liveService}
	// FileExistsProbe: GetFileAttributesW of a path; false when it does not exist.
	FileExistsProbe = platform.Probe[string, bool]{Name: "windows.file_exists", Live: liveFileExists}
	// RegistryProbe: RegQueryValueExW of a string value under HKEY_LOCAL_MACHINE, read only.
	RegistryProbe = platform.Probe[RegistryValue, string]{Name: "windows.registry_string", Live: liveRegistry}
	// AdaptersProbe: GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_INCLUDE_GATEWAYS).
	AdaptersProbe = platform.Probe[None, []Adapter]{Name: "windows.adapters_addresses", Live: liveAdapters}
)
