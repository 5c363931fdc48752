package btrfs

import "testing"

func FuzzParseSubvolumeList(f *testing.F) {
	for _, c := range mountCases {
		_, cmds := loadMount(f, c)
		f.Add([]byte(cmds[0].Stdout))
	}
	f.Add([]byte("ID 256 gen 10 cgen 6 parent 5 top level 5 otime 2024-01-02 03:04:05 parent_uuid - received_uuid - uuid a-b path my dir\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSubvolumeList(b)
		if err != nil && s != nil {
			t.Fatal("subvolumes and error")
		}
		for _, v := range s {
			if v.IsSnapshot != (v.ParentUUID != "") {
				t.Fatalf("IsSnapshot %v with parent uuid %q", v.IsSnapshot, v.ParentUUID)
			}
			_ = v.Name()
		}
	})
}

func FuzzParseGetDefault(f *testing.F) {
	for _, c := range mountCases {
		_, cmds := loadMount(f, c)
		f.Add([]byte(cmds[1].Stdout))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseGetDefault(b)
		if (d == nil) == (err == nil) {
			t.Fatalf("default %v, error %v", d, err)
		}
	})
}
