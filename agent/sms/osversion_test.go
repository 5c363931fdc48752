package sms

import (
	"testing"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

func TestOSVersion(t *testing.T) {
	for _, tc := range []struct {
		osType, id, versionID, name, full, arch string
		want                                    string
		known                                   bool
	}{
		{OSLinux, "centos", "7", "CentOS Linux", "CentOS Linux release 7.9.2009 (Core)", "x86_64", "CENTOS_7_9_64BIT", true},
		{OSLinux, "centos", "7", "CentOS Linux", "", "x86_64", "CENTOS_7_64BIT", true},
		{OSLinux, "ubuntu", "22.04", "Ubuntu", "", "x86_64", "UBUNTU_22_04_64BIT", true},
		{OSLinux, "ubuntu", "20.04", "Ubuntu", "", "aarch64", "UBUNTU_20_04_64BIT", true},
		{OSLinux, "rhel", "8.6", "Red Hat Enterprise Linux", "Red Hat Enterprise Linux release 8.6 (Ootpa)", "x86_64", "REDHAT_8_6_64BIT", true},
		{OSLinux, "debian", "12", "Debian GNU/Linux", "12.5", "x86_64", "DEBIAN_12_5_64BIT", true},
		{OSLinux, "debian", "12", "Debian GNU/Linux", "bookworm/sid", "x86_64", "DEBIAN_12_64BIT", true},
		{OSLinux, "sles", "15.4", "SLES", "", "x86_64", "SUSE_15_4_64BIT", true},
		{OSLinux, "openEuler", "22.03", "openEuler", "", "aarch64", "OPENEULER_22_03_64BIT", true},
		{OSLinux, "centos", "6", "CentOS", "6.10", "i686", "CENTOS_6_10_32BIT", true},
		{OSLinux, "arch", "", "Arch Linux", "", "x86_64", "ARCH_64BIT", false},
		{OSLinux, "void-linux", "2024.1", "Void", "", "x86_64", "VOIDLINUX_2024_1_64BIT", false},
		{OSLinux, "", "", "", "", "x86_64", "LINUX_64BIT", false},
		{OSWindows, "windows", "6.3", "Windows Server 2012 R2 Datacenter", "", "amd64", "WINDOWS2012_R2_64BIT", true},
		{OSWindows, "windows", "10.0", "Windows Server 2019 Standard", "", "amd64", "WINDOWS2019_64BIT", true},
		{OSWindows, "windows", "10.0", "Windows 10 Pro", "", "amd64", "WINDOWS_64BIT", false},
		// gopsutil's product names, as the Windows inventory carries them
		{OSWindows, "windows", "10.0.14393", "Microsoft Windows Server 2016 Datacenter", "", "x86_64", "WINDOWS2016_64BIT", true},
		{OSWindows, "windows", "10.0.20348", "Microsoft Windows Server 2022 Datacenter", "", "x86_64", "WINDOWS2022_64BIT", true},
		{OSWindows, "windows", "6.3.9600", "Microsoft Windows Server 2012 R2 Standard", "", "x86_64", "WINDOWS2012_R2_64BIT", true},
	} {
		got, known := OSVersion(tc.osType, inventory.OSRelease{ID: tc.id, VersionID: tc.versionID, Name: tc.name}, tc.full, tc.arch)
		if got != tc.want || known != tc.known {
			t.Errorf("OSVersion(%s %q %q %q %s) = %s, %v; want %s, %v", tc.osType, tc.id, tc.versionID, tc.full, tc.arch, got, known, tc.want, tc.known)
		}
	}
}
