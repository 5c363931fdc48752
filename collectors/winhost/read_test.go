package winhost

import "testing"

func TestKernelVersion(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.17763.5458 Build 17763.5458": "10.0.17763.5458", // gopsutil's form
		"6.3.9600.20778":                   "6.3.9600.20778",
		"":                                 "",
	} {
		if got := KernelVersion(in); got != want {
			t.Errorf("KernelVersion(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestFirmwareName(t *testing.T) {
	// GetFirmwareType: FirmwareTypeUnknown 0 (Wine 10 answers it), Bios 1, Uefi 2, Max 3.
	for in, want := range map[uint32]string{0: "", 1: "BIOS", 2: "UEFI", 3: ""} {
		if got := FirmwareName(in); got != want {
			t.Errorf("FirmwareName(%d) = %q; want %q", in, got, want)
		}
	}
}
