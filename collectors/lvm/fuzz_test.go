package lvm

import (
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
