// Package volumes builds LVM and btrfs layouts on loop devices for end-to-end tests,
// the Go counterpart of lib.sh. Everything it creates is removed with t.Cleanup, in
// reverse order. It only ever touches loop devices it attached (sparse files in
// t.TempDir()), volume groups it created, and mount points under t.TempDir(); LVM
// commands see only the devices they are given and never activate anything.
//
// Tests using it need root, losetup/sfdisk/partx (util-linux), lvm2 and btrfs-progs;
// Require skips the test otherwise.
package volumes

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Require fails t unless it runs as root and every tool is installed: `make e2e` that
// silently skipped its LVM and btrfs checks would pass without testing anything.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the e2e tests need root (loop devices, mounts): run `sudo make e2e`")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (.ci/run names the packages)", tool)
		}
	}
}

// UniqueName returns prefix followed by 8 random hex digits, e.g. "smsatest_1a2b3c4d".
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Run runs a command and fails t with its output if it fails. It returns stdout.
func Run(t testing.TB, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LVM_SUPPRESS_FD_WARNINGS=1", "LC_ALL=C")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	return stdout.String()
}

// try runs a cleanup command and only logs a failure.
func try(t testing.TB, argv ...string) {
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Logf("cleanup %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// MakeLoop attaches a sparse file of size bytes to a free loop device and returns the
// device. Cleanup removes its partitions and detaches it.
func MakeLoop(t testing.TB, size int64) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "disk-*.img")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dev := strings.TrimSpace(Run(t, "losetup", "-f", "--show", f.Name()))
	t.Cleanup(func() {
		_ = exec.Command("partx", "-d", dev).Run()
		try(t, "losetup", "-d", dev)
	})
	return dev
}

// Partition writes a GPT with one Linux LVM partition (1 MiB, 200 MiB long) on dev and
// makes the kernel add it (loop devices are not scanned by themselves). It returns the
// partition's device.
func Partition(t testing.TB, dev string) string {
	t.Helper()
	cmd := exec.Command("sfdisk", "-q", "--no-reread", dev)
	cmd.Stdin = strings.NewReader("label: gpt\nstart=2048, size=409600, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n")
	_ = cmd.Run() // sfdisk complains that the kernel did not re-read the table
	if err := exec.Command("partx", "-a", dev).Run(); err != nil {
		Run(t, "partx", "-u", dev)
	}
	p := dev + "p1"
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("partition %s did not appear: %v", p, err)
	}
	return p
}

// LVMConfig is an lvm --config value that accepts only devs, never activates and keeps
// no metadata backups.
func LVMConfig(devs ...string) string {
	var f strings.Builder
	for _, d := range devs {
		fmt.Fprintf(&f, `"a|^%s$|", `, d)
	}
	return fmt.Sprintf(`global{activation=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0 filter=[ %s"r|.*|" ]}`, f.String())
}

// LVM runs an lvm subcommand that sees only devs.
func LVM(t testing.TB, devs []string, args ...string) string {
	t.Helper()
	return Run(t, append(append([]string{"lvm"}, args...), "--config", LVMConfig(devs...))...)
}

// MakeVG creates PVs on devs and a VG called name on them. Cleanup removes the VG and
// wipes the PV labels.
func MakeVG(t testing.TB, name string, devs ...string) {
	t.Helper()
	LVM(t, devs, append([]string{"pvcreate", "-q", "-y"}, devs...)...)
	t.Cleanup(func() {
		try(t, append([]string{"lvm", "pvremove", "-q", "-y", "-ff", "--config", LVMConfig(devs...)}, devs...)...)
	})
	LVM(t, devs, append([]string{"vgcreate", "-q", name}, devs...)...)
	t.Cleanup(func() { try(t, "lvm", "vgremove", "-q", "-f", "--config", LVMConfig(devs...), name) })
}

// MakeLV creates an LV metadata-only (-an -Zn); args are lvcreate's, e.g.
// "-n", "root", "-L", "40m", "vg". It goes away with its VG.
func MakeLV(t testing.TB, devs []string, args ...string) {
	t.Helper()
	LVM(t, devs, append([]string{"lvcreate", "-q", "-y", "-an", "-Zn"}, args...)...)
}

// MkfsBtrfs makes a btrfs filesystem with the label on devs; opts go before the
// devices (e.g. "-d", "raid1", "-m", "raid1"). It returns the filesystem UUID.
func MkfsBtrfs(t testing.TB, label string, opts []string, devs ...string) string {
	t.Helper()
	Run(t, append(append([]string{"mkfs.btrfs", "-q", "-f", "-L", label}, opts...), devs...)...)
	return strings.TrimSpace(Run(t, "blkid", "-c", "/dev/null", "-s", "UUID", "-o", "value", devs[0]))
}

// Mount mounts dev on a new directory under t.TempDir() (options may be "") and returns
// it. Cleanup unmounts it.
func Mount(t testing.TB, dev, options string) string {
	t.Helper()
	dir, err := os.MkdirTemp(t.TempDir(), "mnt-")
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{"mount"}
	if options != "" {
		argv = append(argv, "-o", options)
	}
	Run(t, append(argv, dev, dir)...)
	t.Cleanup(func() {
		// A busy mount is detached lazily, so that removing the temp dir does not walk
		// into it and the loop device under it can go.
		if exec.Command("umount", dir).Run() != nil {
			try(t, "umount", "-l", dir)
		}
	})
	return dir
}

// Subvolume creates a btrfs subvolume at mnt/rel.
func Subvolume(t testing.TB, mnt, rel string) string {
	t.Helper()
	p := filepath.Join(mnt, rel)
	Run(t, "btrfs", "-q", "subvolume", "create", p)
	return p
}
