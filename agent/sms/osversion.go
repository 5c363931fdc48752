package sms

import (
	"regexp"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// distroName maps an /etc/os-release ID to the name SMS uses in os_version. A distro
// that is not here is sent under its upper-cased ID, and OSVersion reports it unknown.
func distroName(id string) (string, bool) {
	switch id {
	case "centos":
		return "CENTOS", true
	case "rhel":
		return "REDHAT", true
	case "ubuntu":
		return "UBUNTU", true
	case "debian":
		return "DEBIAN", true
	case "sles":
		return "SUSE", true
	case "sled":
		return "SUSE", true
	case "opensuse-leap":
		return "OPENSUSE", true
	case "opensuse":
		return "OPENSUSE", true
	case "ol":
		return "ORACLE", true
	case "fedora":
		return "FEDORA", true
	case "euleros":
		return "EULEROS", true
	case "openeuler":
		return "OPENEULER", true
	case "hce":
		return "HUAWEICLOUDEULER", true
	case "rocky":
		return "ROCKY", true
	case "almalinux":
		return "ALMALINUX", true
	case "amzn":
		return "AMAZON", true
	case "kylin":
		return "KYLIN", true
	case "uos":
		return "UOS", true
	case "anolis":
		return "ANOLIS", true
	case "alinux":
		return "ALIBABA", true
	case "tencentos":
		return "TENCENTOS", true
	}
	return "", false
}

// OSVersion returns the os_version SMS expects: <DISTRO>_<MAJOR>[_<MINOR>]_<BITS>BIT,
// e.g. CENTOS_7_9_64BIT, UBUNTU_22_04_64BIT, WINDOWS2012_R2_64BIT. fullVersion is a
// more precise version when the host has one (/etc/centos-release "7.9.2009",
// /etc/debian_version "12.5"); it is used when it extends os-release's VERSION_ID. known
// is false for an OS SMS does not list: the name is then built the same way from the
// os-release ID (FOO_1_2_64BIT) and the caller warns.
func OSVersion(osType string, rel inventory.OSRelease, fullVersion, arch string) (v string, known bool) {
	bits := "64BIT"
	switch strings.ToLower(arch) {
	case "i386", "i486", "i586", "i686", "x86", "armv7l", "armv6l", "386":
		bits = "32BIT"
	}
	if osType == OSWindows {
		return windowsVersion(rel, bits)
	}
	id := strings.ToLower(strings.TrimSpace(rel.ID))
	versionDigits := regexp.MustCompile(`[0-9]+(\.[0-9]+)*`)
	name, known := distroName(id)
	if !known {
		name = strings.ToUpper(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(id, ""))
		if name == "" {
			name = "LINUX"
		}
	}
	ver := versionDigits.FindString(rel.VersionID)
	if full := versionDigits.FindString(fullVersion); full != "" && (ver == "" || strings.HasPrefix(full, ver+".")) {
		ver = full
	}
	parts := strings.Split(ver, ".")
	if ver == "" {
		parts = nil
	}
	if len(parts) > 2 { // 7.9.2009 → 7_9
		parts = parts[:2]
	}
	return strings.Join(append(append([]string{name}, parts...), bits), "_"), known
}

func windowsVersion(rel inventory.OSRelease, bits string) (string, bool) {
	winYear := regexp.MustCompile(`(?i)windows(?: server)? (\d{4})( r2)?`)
	for _, s := range []string{rel.Name, rel.PrettyName, rel.VersionID} {
		if m := winYear.FindStringSubmatch(s); m != nil {
			v := "WINDOWS" + m[1]
			if m[2] != "" {
				v += "_R2"
			}
			return v + "_" + bits, true
		}
	}
	return "WINDOWS_" + bits, false
}
