# Sourced by the scripts/test.d steps that hold the debug kharden against real peers: runs the
# step's installer of Debian packages (as root only: it uses apt), builds kharden and exports
# KHARDEN_BIN for the step's scripts.   usage: . scripts/lib/kharden-step.sh INSTALLER
if [ "$(id -u)" -eq 0 ]; then
  "$1"
fi
cargo build -p kharden --locked
export KHARDEN_BIN=${CARGO_TARGET_DIR:-target}/debug/kharden
