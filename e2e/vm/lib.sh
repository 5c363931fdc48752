# shellcheck shell=bash
# e2e/vm/lib.sh: what the VM recorders share (e2e/vm/record.sh,
# collectors/lowprobe/md-vm/record.sh): a private temp dir removed on exit (the VM
# killed first), Debian's kernel unpacked into it, binaries and modules copied into an
# initramfs tree, and qemu run with its console shown. The caller defines say and die,
# sources this file and calls vm_tmp first. Sets: tmp, qpid; vm_kernel sets kpkg,
# kdeb_version, kx (the unpacked package), kver, vmlinuz; vm_boot sets vm_secs.

# vm_tmp PREFIX: the private temp dir $tmp, removed on exit unless KEEP is set.
vm_tmp() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 0755 "$tmp"
	qpid=
	trap vm_cleanup EXIT
	trap 'exit 130' INT TERM
}

vm_cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [ -n "${KEEP:-}" ]; then
		say "KEEP set: left $tmp"
	else
		rm -rf "$tmp"
	fi
}

have() { command -v "$1" >/dev/null 2>&1; }
pkg_ok() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# vm_install PKG...: install the missing packages the caller collected (none: nothing).
vm_install() {
	(($#)) || return 0
	say "installing $*"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# vm_kernel: Debian's kernel package ($KPKG, default what linux-image-amd64 depends on),
# downloaded and unpacked into $tmp/kernel/x — never installed — with its modules.dep.
vm_kernel() {
	local deb
	kpkg=${KPKG:-}
	if [ -z "$kpkg" ]; then
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		if [ -z "$kpkg" ]; then
			apt-get update -qq
			kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		fi
	fi
	[ -n "$kpkg" ] || die "cannot tell the current kernel package (apt-cache depends linux-image-amd64)"
	say "downloading $kpkg"
	mkdir -p "$tmp/kernel"
	(cd "$tmp/kernel" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg")
	deb=$(ls "$tmp"/kernel/*.deb)
	kdeb_version=$(dpkg-deb -f "$deb" Version)
	kx=$tmp/kernel/x
	dpkg-deb -x "$deb" "$kx"
	rm -f "$deb"
	kver=$(ls "$kx/lib/modules")
	vmlinuz=$kx/boot/vmlinuz-$kver
	[ -f "$vmlinuz" ] || die "no $vmlinuz in $kpkg"
	depmod -b "$kx" "$kver"
}

# copy_file PATH: the file (symlinks resolved) at the same path in the initramfs $ir.
copy_file() {
	mkdir -p "$ir$(dirname "$1")"
	cp -L "$1" "$ir$1"
}

# copy_bin PATH: the binary and every shared library ldd names.
copy_bin() {
	local f
	[ -x "$1" ] || die "no $1 on this host"
	copy_file "$1"
	for f in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$ir$f" ] || copy_file "$f"
	done
}

# vm_modules MODULE...: the modules and their dependencies into $ir, with a modules.dep
# for busybox modprobe.
vm_modules() {
	local m ko rel
	for m in "$@"; do
		modprobe -d "$kx" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
	done | sort -u | while read -r ko; do
		rel=${ko#"$kx"}
		mkdir -p "$ir$(dirname "$rel")"
		cp "$ko" "$ir$rel"
	done
	cp "$kx/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$ir/lib/modules/$kver/"
	depmod -b "$ir" "$kver"
}

# vm_boot TIMEOUT QEMU-ARG...: run qemu-system-x86_64 for at most TIMEOUT seconds, its
# console in $tmp/console.log and shown on stderr; dies unless it exits 0.
vm_boot() {
	local timeout=$1 rc=0 t
	shift
	t=$(date +%s)
	: >"$tmp/console.log"
	timeout "$timeout" qemu-system-x86_64 "$@" </dev/null >>"$tmp/console.log" 2>&1 &
	qpid=$! # timeout's: killing it (cleanup, on any exit) stops qemu too
	tail --pid="$qpid" -n +1 -f "$tmp/console.log" | sed -u 's/\r$//' >&2 &
	wait "$qpid" || rc=$?
	qpid=
	wait
	vm_secs=$(($(date +%s) - t))
	[ "$rc" = 0 ] || die "qemu exited $rc after ${vm_secs}s (124: timed out after ${timeout}s)"
}
