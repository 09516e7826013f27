#!/bin/bash
# Inside the Debian 12 guest of scripts/deb/proof.sh, as a oneshot unit after
# multi-user.target; stdout is the second serial port. Boot 1 installs the package and checks
# it, enables kharden-apply.service and reboots; boot 2 checks what apply raised at boot and
# removes the package. One line per check: `ok ...`, `FAIL ...`, `info ...`.
set -u
STAGE=/root/proof-stage
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; }
check() { # check NAME COMMAND...: ok when the command succeeds
  local name=$1
  shift
  if out=$("$@" 2>&1); then ok "$name"; else fail "$name: $(echo "$out" | tail -5 | tr '\n' ' ')"; fi
}
send() { # send FILE: base64 between markers, for the host
  echo "@@BEGIN $(basename "$1")"
  base64 "$1"
  echo "@@END $(basename "$1")"
}

if [ ! -e $STAGE ]; then
  echo 1 >$STAGE
  echo "info boot 1: checks start at uptime $(cut -d' ' -f1 /proc/uptime) s"
  echo "info kptr_restrict before: $(cat /proc/sys/kernel/kptr_restrict), lockdown before: $(cat /sys/kernel/security/lockdown)"
  check "dpkg -i" dpkg -i /root/kharden.deb
  dpkg -L kharden | sort >/root/kharden.files
  check "systemd-analyze verify (no output)" bash -c \
    'out=$(systemd-analyze verify /lib/systemd/system/kharden-audit.service /lib/systemd/system/kharden-audit.timer /lib/systemd/system/kharden-apply.service 2>&1); echo "$out"; [ -z "$out" ]'
  for u in kharden-audit.service kharden-apply.service; do
    echo "info systemd-analyze security $u: $(systemd-analyze security "$u" 2>&1 | tail -1)"
  done
  check "timer enabled and active" systemctl is-active kharden-audit.timer
  check "apply shipped disabled" bash -c '[ "$(systemctl is-enabled kharden-apply.service)" = disabled ]'
  for _ in $(seq 1 120); do
    [ -s /var/lib/kharden/audit.json ] && [ -s /var/lib/prometheus/node-exporter/kharden.prom ] && break
    sleep 1
  done
  check "timer's first run: report" test -s /var/lib/kharden/audit.json
  check "timer's first run: textfile" test -s /var/lib/prometheus/node-exporter/kharden.prom
  check "audit service succeeded" bash -c '[ "$(systemctl show -P Result kharden-audit.service)" = success ]'
  check "no temporary files left" bash -c '[ "$(find /var/lib/kharden /var/lib/prometheus/node-exporter -mindepth 1 -printf "%f\n" | sort | tr "\n" " ")" = "audit.json kharden.prom " ]'
  send /var/lib/kharden/audit.json
  send /var/lib/prometheus/node-exporter/kharden.prom
  check "man kharden" bash -c 'man -P cat kharden 2>/dev/null | grep -q "kharden-audit(1)"'
  check "man kharden-audit" bash -c 'man -P cat kharden-audit 2>/dev/null | grep -q -- "--format"'
  check "bash completion" bash -c '. /usr/share/bash-completion/bash_completion
    _completion_loader kharden
    COMP_WORDS=(kharden au); COMP_CWORD=1; COMP_LINE="kharden au"; COMP_POINT=10
    _kharden kharden au kharden
    [ "${COMPREPLY[*]}" = audit ]'
  check "bash completion of a subcommand flag" bash -c '. /usr/share/bash-completion/bash_completion
    _completion_loader kharden
    COMP_WORDS=(kharden audit --for); COMP_CWORD=2; COMP_LINE="kharden audit --for"; COMP_POINT=19
    _kharden kharden --for audit
    [[ " ${COMPREPLY[*]} " == *" --format "* ]]'
  check "systemctl enable kharden-apply.service" systemctl enable kharden-apply.service
  sync
  systemctl reboot
  exit 0
fi

echo "info boot 2: checks start at uptime $(cut -d' ' -f1 /proc/uptime) s"
check "apply ran at boot" bash -c '[ "$(systemctl show -P Result kharden-apply.service)" = success ] && systemctl is-active kharden-apply.service'
check "apply ran before the network and user services" bash -c \
  'a=$(systemctl show -P ExecMainExitTimestampMonotonic kharden-apply.service); u=$(systemctl show -P ActiveEnterTimestampMonotonic systemd-user-sessions.service); [ "$a" -gt 0 ] && [ "$a" -le "$u" ]'
kptr=$(cat /proc/sys/kernel/kptr_restrict)
lockdown=$(cat /sys/kernel/security/lockdown)
echo "info kptr_restrict after: $kptr, lockdown after: $lockdown"
check "kptr_restrict raised at boot" test "$kptr" -ge 1
check "lockdown raised at boot" bash -c '[[ "$(cat /sys/kernel/security/lockdown)" == *"[integrity]"* || "$(cat /sys/kernel/security/lockdown)" == *"[confidentiality]"* ]]'
check "dpkg -r kharden" dpkg -r kharden
left=$(while read -r f; do [ -d "$f" ] || [ ! -e "$f" ] || echo "$f"; done </root/kharden.files)
check "dpkg -r leaves only the conffile" test "$left" = /etc/kharden/policy.toml
check "the binary is gone" bash -c '! command -v kharden'
echo "@@DONE"
sync
systemctl poweroff
