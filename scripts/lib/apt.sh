# Sourced, not run: install the Debian packages of a list that are not installed yet.
#
#   . scripts/lib/apt.sh
#   apt_install_missing NAME PACKAGE...
#
# Idempotent: a package dpkg reports as "install ok installed" is left alone, and with nothing
# missing nothing runs but one line on stderr ("NAME: all present"). Otherwise the package
# lists are refreshed and the missing packages installed without recommends, noninteractively,
# as root or through sudo (so it needs root or sudo only when something is missing).

# Run a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

apt_install_missing() {
	local name=$1 p
	shift
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "$name: all present" >&2
		return 0
	fi
	echo "$name: installing ${missing[*]}" >&2
	# Through env: sudo resets the environment, an exported DEBIAN_FRONTEND would not arrive.
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
