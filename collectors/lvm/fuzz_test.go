package lvm

import (
	"strings"
	"testing"
)

func FuzzParseFullReport(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(loadCase(f, c).Stdout))
	}
	f.Add(activeNested(f))
	f.Add([]byte(`{"report":[{"lv":[{"lv_name":"[x]","lv_size":"1","devices":"a(1),b"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := ParseFullReport(b)
		if err != nil {
			if rep != nil {
				t.Fatal("report and error")
			}
			return
		}
		// The helpers must cope with whatever parsed.
		_ = rep.Warnings()
		for _, vg := range rep.VGs {
			_ = rep.LVsOf(vg.Name)
		}
		for _, lv := range rep.LVs {
			if lv.Name == "" {
				t.Fatalf("LV without a name: %+v", lv)
			}
		}
	})
}

func FuzzInternalDM(f *testing.F) {
	f.Add("smsvg0-pool-tpool", "LVM-OkO2j9gNKVA5MZ9gKC7Ui8YU78Kg7Rqf2nibibPCQ7VtGEVKenpKcUo2Ycq8cJNv-tpool")
	f.Add("a--b-c--d_tdata", "LVM-x")
	f.Fuzz(func(t *testing.T, name, uuid string) {
		if InternalDM(name, uuid) && !strings.HasPrefix(uuid, "LVM-") {
			t.Fatalf("%q %q: internal without an LVM uuid", name, uuid)
		}
	})
}
