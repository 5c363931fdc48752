#!/bin/sh
# run-under-wine.sh EXE [ARGS...] - run a Windows/amd64 executable with the
# Wine 10 of the trixie chroot made by setup-wine-chroot.sh; exits with the
# program's exit status. Must run as root (it uses chroot and mounts).
#
# Works as a `go test` / `go run` exec wrapper:
#   GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -exec /path/run-under-wine.sh ./...
#
# Each call gets a private mount + PID namespace: /proc, /dev, /sys, a fresh
# tmpfs on the chroot's /tmp (hence its own wineserver, so parallel calls do
# not interfere) and bind mounts of host directories at the SAME path inside
# the chroot: the EXE's directory, the current directory and every directory in
# WINE_BINDS (colon-separated). Wine's Z: drive is the chroot's /, so the program
# sees e.g. Z:\home\me\proj\pkg and absolute Unix paths in its arguments still
# resolve. Everything is torn down when the program exits.
#
# Environment: WINE_CHROOT (default /srv/wine-trixie), WINE_BINDS,
# WINEDEBUG (default -all), WINEDLLOVERRIDES (default mscoree,mshtml=);
# other variables are passed through to the Windows program, except TMPDIR
# (Wine 10.0~repack-6 aborts with "free(): invalid pointer" when it is set),
# DISPLAY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR, LD_PRELOAD, LD_LIBRARY_PATH.
set -eu

R=${WINE_CHROOT:-/srv/wine-trixie}
PREFIX=/root/.wine

die() { printf 'run-under-wine: %s\n' "$*" >&2; exit 125; }

[ $# -ge 1 ] || die "usage: run-under-wine.sh EXE [ARGS...]"
[ "$(id -u)" = 0 ] || die "must run as root"
[ -s "$R$PREFIX/system.reg" ] || die "no wineprefix in $R; run setup-wine-chroot.sh first"
exe=$(realpath -e -- "$1") || die "cannot find $1"
shift
cwd=$(pwd -P)

exec unshare --mount --propagation private --pid --fork --kill-child \
	/bin/sh -eu -c '
	R=$1 PREFIX=$2 exe=$3 cwd=$4
	shift 4
	mount -t proc proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount --rbind /sys "$R/sys"
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"

	# host path -> path inside the chroot
	inside() {
		case $1 in
		"$R") echo / ;;
		"$R"/*) echo "${1#"$R"}" ;;
		*) echo "$1" ;;
		esac
	}
	# make host directory $1 visible at the same path inside the chroot
	# (the mount points it creates outside /tmp stay behind as empty dirs)
	bind() {
		d=$1
		case $d in "$R" | "$R"/*) return 0 ;; esac
		[ "$d" != / ] || return 1
		t=$R$d
		if [ -e "$t" ] && [ "$(stat -Lc %d:%i -- "$t")" = "$(stat -Lc %d:%i -- "$d")" ]; then
			return 0 # already visible (e.g. below another bound directory)
		fi
		# never hide a directory of the chroot itself (/usr, /root, /tmp, ...); empty
		# directories below it are mount points earlier runs left, and may be covered
		if [ -d "$t" ] && [ -n "$(find "$t" -xdev ! -type d -print -quit 2>/dev/null)" ]; then
			return 1
		fi
		mkdir -p -- "$t"
		mount --bind "$d" "$t"
	}
	exedir=$(dirname -- "$exe")
	mkdir "$R/tmp/.run-under-wine"
	{ echo "$exedir"; echo "$cwd"; echo "${WINE_BINDS:-}" | tr : "\n"; } |
		grep -v "^$" | sort -u >"$R/tmp/.run-under-wine/binds"
	while IFS= read -r d; do
		[ -d "$d" ] || continue
		bind "$d" && continue
		if [ "$d" = "$exedir" ]; then
			# e.g. EXE directly in /tmp: run a copy from the private /tmp
			cp -- "$exe" "$R/tmp/.run-under-wine/"
			exe=$R/tmp/.run-under-wine/$(basename -- "$exe")
		fi
		if [ "$d" = "$cwd" ]; then
			echo "run-under-wine: cannot map $d into the chroot; running in /" >&2
			cwd=/
		elif [ "$d" != "$exedir" ]; then
			echo "run-under-wine: cannot map $d into the chroot (WINE_BINDS)" >&2
		fi
	done <"$R/tmp/.run-under-wine/binds"

	exec chroot "$R" /usr/bin/env \
		-u TMPDIR -u DISPLAY -u WAYLAND_DISPLAY -u XDG_RUNTIME_DIR \
		-u LD_PRELOAD -u LD_LIBRARY_PATH -u WINELOADER -u WINESERVER -u WINEDLLPATH \
		HOME=/root WINEPREFIX="$PREFIX" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="${WINEDLLOVERRIDES-mscoree,mshtml=}" \
		/bin/sh -c "
			cd \"\$1\" || exit 125
			shift
			/usr/lib/wine/wine64 \"\$@\" && rc=0 || rc=\$?
			/usr/lib/wine/wineserver -k 2>/dev/null || true
			exit \$rc
		" run "$(inside "$cwd")" "$(inside "$exe")" "$@"
' run-under-wine "$R" "$PREFIX" "$exe" "$cwd" "$@"
