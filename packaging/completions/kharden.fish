# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kharden_global_optspecs
    string join \n q/quiet color= h/help V/version
end

function __fish_kharden_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kharden_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kharden_using_subcommand
    set -l cmd (__fish_kharden_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kharden -n "__fish_kharden_needs_command" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_needs_command" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_needs_command" -s V -l version -d 'Print version'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "audit" -d 'Judge the kernel\'s security tunables (build config, command line, sysctls, live state)'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "rules" -d 'List the rules of a profile'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "explain" -d 'Explain one rule in full: why, what it breaks, how to fix'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "fix" -d 'Produce the changes that fix failing rules: Kconfig fragment, sysctl.d, command line'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "apply" -d 'Raise the running kernel\'s protection (dry run unless --yes); never lowers anything'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "diff" -d 'Compare two configs or snapshot roots: rules that flip, settings that differ'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "snapshot" -d 'Capture what an audit reads on this host, with provenance, into one archive (.tar.zst) that audit, diff and fix take as --root'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "fleet" -d 'Audit many snapshots (directories or archives) at once: per rule, per host, drift'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "modsign" -d 'Module signing and kernel-exact signature verification'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "generate" -d '(Write the man pages, completion files or JSON Schemas into a directory.)'
complete -c kharden -n "__fish_kharden_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l root -d 'Read everything under this directory instead of / (a snapshot of another host)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l config -d 'Kernel config to judge (plain, gzip, xz or zstd; `-`: standard input). Default: found on the host' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l cmdline -d 'Kernel command line to judge (`-`: standard input). Default: /proc/cmdline' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l sysctl -d 'Output of `sysctl -a` to judge (`-`: standard input). Default: /proc/sys' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l profile -d 'Built-in profile' -r
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l policy -d 'User policy (TOML): extend the profile, drop rules, change severities, add rules, waive rules. Applied after <ROOT>/etc/kharden/policy.toml, which is read when present (except with --no-live and the default root)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l format -d 'Output format; jsonl, prometheus (a node_exporter textfile), sarif, junit and html (one self-contained page) are described in docs/exports.md' -r -f -a "human\t''
json\t''
jsonl\t''
prometheus\t''
sarif\t''
junit\t''
html\t''"
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l fail-on -d 'Exit 1 when a rule of this severity or higher fails; `unknown`: when any rule fails or cannot be judged. Waived findings never count' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
unknown\t''"
complete -c kharden -n "__fish_kharden_using_subcommand audit" -s o -l output -d 'Write the output to FILE (atomically: a reader sees the old file or the new one) instead of stdout' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l today -d 'Judge waiver expiry as of this day instead of the system clock\'s (UTC), e.g. to reproduce an earlier report. The output says so' -r
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l no-live -d 'Use only the files given; judge the rest by the build-time defaults of the config'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l all -d 'List passing and not-applicable rules too'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -s v -l verbose -d 'Show evidence and fixes for each rule'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l exit-zero -d 'Exit 0 even when rules fail (for reports)'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l with-host -d 'Add the host\'s name, boot id, the time and kharden\'s version to json, jsonl and prometheus output (without it, the output depends on the inputs alone)'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -l readiness -d 'For each failing rule, what turning it on would break on this host: `ready`, `blocked` (each blocker, its consequence and the way out) or `unknown` (with the reason)'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand audit" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand rules" -l profile -r
complete -c kharden -n "__fish_kharden_using_subcommand rules" -l policy -d 'User policy (TOML) to apply, as `audit --policy` does; may be given more than once. The host\'s /etc/kharden/policy.toml is not read: name it to include it' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand rules" -l format -r -f -a "human\t''
json\t''
markdown\t''"
complete -c kharden -n "__fish_kharden_using_subcommand rules" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand rules" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand rules" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand explain" -l profile -r
complete -c kharden -n "__fish_kharden_using_subcommand explain" -l policy -d 'User policy (TOML) to apply, as `audit --policy` does; may be given more than once. The host\'s /etc/kharden/policy.toml is not read: name it to include it' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand explain" -l today -d 'Say whether the rule\'s waivers have expired as of this day instead of the system clock\'s (UTC). The output says so' -r
complete -c kharden -n "__fish_kharden_using_subcommand explain" -l format -d 'human, or json (the `kharden.explain/1` document: the rule as `rules --format json` lists it, and its waivers)' -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand explain" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand explain" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand explain" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l root -d 'Read everything under this directory instead of / (a snapshot of another host)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l config -d 'Kernel config to judge (plain, gzip, xz or zstd; `-`: standard input). Default: found on the host' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l cmdline -d 'Kernel command line to judge (`-`: standard input). Default: /proc/cmdline' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l sysctl -d 'Output of `sysctl -a` to judge (`-`: standard input). Default: /proc/sys' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l profile -d 'Built-in profile' -r
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l policy -d 'User policy (TOML): extend the profile, drop rules, change severities, add rules, waive rules. Applied after <ROOT>/etc/kharden/policy.toml, which is read when present (except with --no-live and the default root)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l emit -d 'Which remediation to produce' -r -f -a "kconfig\t''
sysctl\t''
cmdline\t''
all\t''"
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l out -d 'Write the files into this directory (atomically) instead of printing them' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l module-sig-key -d 'Also put in the Kconfig fragment the lines of a kernel built under `kharden modsign build --cert-out CERT`: MODULE_SIG, MODULE_SIG_ALL, MODULE_SIG_FORCE and MODULE_SIG_KEY="CERT" (relative to the source tree, or absolute)' -r
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l no-live -d 'Use only the files given; judge the rest by the build-time defaults of the config'
complete -c kharden -n "__fish_kharden_using_subcommand fix" -l all-rules -d 'Every rule of the profile that applies to this kernel (its version and architecture), not only the failing ones'
complete -c kharden -n "__fish_kharden_using_subcommand fix" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand fix" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l root -d 'The system to change (a QEMU guest\'s / or a test tree)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l profile -r
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l policy -d 'User policy (TOML), as `audit --policy`: waived and dropped rules are left alone. Applied after <ROOT>/etc/kharden/policy.toml, which is read when present' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l yes -d 'Carry out the plan (default: print it)'
complete -c kharden -n "__fish_kharden_using_subcommand apply" -l allow-irreversible -d 'Also take steps that cannot be undone until reboot (lockdown, sig_enforce, ...)'
complete -c kharden -n "__fish_kharden_using_subcommand apply" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand apply" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand diff" -l profile -r
complete -c kharden -n "__fish_kharden_using_subcommand diff" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand diff" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand diff" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand diff" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -l root -d 'Capture under this directory instead of / (a snapshot tree of another host)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -l policy -d 'A user policy whose own rules\' sysctls are captured too (the root\'s /etc/kharden/policy.toml is read, and captured, when present)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -l out -d 'Write the archive to FILE (atomically; name it *.tar.zst to pass it as --root). Without it the archive goes to stdout, which must not be a terminal' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand snapshot" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -l profile -d 'Built-in profile' -r
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -l policy -d 'User policy applied to every host (after a host\'s own /etc/kharden/policy.toml)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -l format -r -f -a "human\t''
json\t''
html\t''"
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -s o -l output -d 'Write the report to FILE (atomically) instead of stdout' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -s j -l jobs -d 'Hosts audited at once (default: one per CPU)' -r
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -l exit-zero -d 'Exit 0 even when hosts fail (for reports)'
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand fleet" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "sign-tree" -d 'Sign every module under DIR with a key made in memory for this run only; write its certificate, then destroy the key'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "sign" -d 'Sign one module with an existing key, as scripts/sign-file does'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "verify" -d 'Check modules the way the kernel will when it loads them'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "inspect" -d 'Show the signature fields of modules (what modinfo shows, and more)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "certs" -d 'List or extract the certificates built into a kernel image (exit 1 when it has none)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "build" -d 'Run a kernel build with a key that exists only in memory: its certificate is written for the kernel to embed, every module the build installs is signed, the key destroyed'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "sign-request" -d '(Run by make under `modsign build`: sign one module through kharden\'s service.)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and not __fish_seen_subcommand_from sign-tree sign verify inspect certs build sign-request help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l cert-out -d 'Where to write the certificate of the generated key (DER unless --pem)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l hash -d 'Digest [default: sha256 for RSA, sha384 for ECDSA]' -r -f -a "sha256\t''
sha384\t''
sha512\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l key-type -r -f -a "rsa4096\t'RSA-4096 (the kernel\'s default; Debian\'s kernels verify only RSA)'
ecdsa-p384\t'ECDSA P-384 (needs CONFIG_CRYPTO_ECDSA in the kernel; signs with sha384)'
mldsa44\t'ML-DSA-44 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'
mldsa65\t'ML-DSA-65 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'
mldsa87\t'ML-DSA-87 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l subject -d 'Common name of the generated certificate' -r
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -s j -l jobs -d 'Parallel workers [default: number of CPUs]' -r
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l format -d 'human, or json (the `kharden.modsign.sign-tree/1` summary)' -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l pem -d 'Write the certificate as PEM'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -l keyid -d 'Name the signer by subject key identifier (sign-file -k)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-tree" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -l key -d 'Private key, PEM or DER (a PEM may also hold the certificate, like certs/signing_key.pem)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -l cert -d 'Certificate, PEM or DER [default: the certificate in the key file]' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -l hash -d 'Digest [default: sha256 for RSA, the curve\'s hash for ECDSA]' -r -f -a "sha256\t''
sha384\t''
sha512\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -l keyid -d 'Name the signer by subject key identifier (sign-file -k)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l cert -d 'Trusted certificate file (DER or PEM, any number of certificates; `-`: standard input); repeatable' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l kernel -d 'Trust the certificates built into this kernel image (bzImage, EFI zboot, arm64 Image, vmlinux); repeatable. With neither --cert nor --kernel, the running kernel\'s own image is trusted (/boot/vmlinuz-REL, /usr/lib/modules/REL/vmlinuz or /lib/modules/REL/vmlinuz)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l root -d 'Look for the running kernel\'s image under this root (a snapshot) instead of /' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l target-release -d 'The release of the kernel the modules are for (`uname -r`), when its image is looked up [default: the running kernel\'s]' -r
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -s j -l jobs -d 'Parallel workers [default: number of CPUs]' -r
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'List every module; without it the human output lists only the modules that would be refused under enforcement (the summary counts all; JSON lists all)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from inspect" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from inspect" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -l kernel -d 'Kernel image (bzImage/vmlinuz, or an uncompressed vmlinux)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -l out -d 'Also write each certificate to DIR as DER' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -l format -r -f -a "human\t''
json\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from certs" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -l cert-out -d 'Where to write the certificate (PEM) before COMMAND starts: the file the kernel\'s CONFIG_MODULE_SIG_KEY names (relative to the source tree, or absolute)' -r -F
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -l key-type -r -f -a "rsa4096\t'RSA-4096 (the kernel\'s default; Debian\'s kernels verify only RSA)'
ecdsa-p384\t'ECDSA P-384 (needs CONFIG_CRYPTO_ECDSA in the kernel; signs with sha384)'
mldsa44\t'ML-DSA-44 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'
mldsa65\t'ML-DSA-65 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'
mldsa87\t'ML-DSA-87 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself)'"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -l hash -d 'Digest [default: sha256 for RSA, sha384 for ECDSA]' -r -f -a "sha256\t''
sha384\t''
sha512\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -l subject -d 'Common name of the generated certificate' -r
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-request" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-request" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from sign-request" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "sign-tree" -d 'Sign every module under DIR with a key made in memory for this run only; write its certificate, then destroy the key'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Sign one module with an existing key, as scripts/sign-file does'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check modules the way the kernel will when it loads them'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show the signature fields of modules (what modinfo shows, and more)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "certs" -d 'List or extract the certificates built into a kernel image (exit 1 when it has none)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "build" -d 'Run a kernel build with a key that exists only in memory: its certificate is written for the kernel to embed, every module the build installs is signed, the key destroyed'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "sign-request" -d '(Run by make under `modsign build`: sign one module through kharden\'s service.)'
complete -c kharden -n "__fish_kharden_using_subcommand modsign; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kharden -n "__fish_kharden_using_subcommand completions" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand completions" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand completions" -s h -l help -d 'Print help'
complete -c kharden -n "__fish_kharden_using_subcommand generate" -l color -d 'Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or TERM=dumb), always or never. Machine formats are never coloured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kharden -n "__fish_kharden_using_subcommand generate" -s q -l quiet -d 'Print nothing on stderr but errors: no warnings, notes or progress bars'
complete -c kharden -n "__fish_kharden_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "audit" -d 'Judge the kernel\'s security tunables (build config, command line, sysctls, live state)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "rules" -d 'List the rules of a profile'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "explain" -d 'Explain one rule in full: why, what it breaks, how to fix'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "fix" -d 'Produce the changes that fix failing rules: Kconfig fragment, sysctl.d, command line'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "apply" -d 'Raise the running kernel\'s protection (dry run unless --yes); never lowers anything'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "diff" -d 'Compare two configs or snapshot roots: rules that flip, settings that differ'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "snapshot" -d 'Capture what an audit reads on this host, with provenance, into one archive (.tar.zst) that audit, diff and fix take as --root'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "fleet" -d 'Audit many snapshots (directories or archives) at once: per rule, per host, drift'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "modsign" -d 'Module signing and kernel-exact signature verification'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "generate" -d '(Write the man pages, completion files or JSON Schemas into a directory.)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and not __fish_seen_subcommand_from audit rules explain fix apply diff snapshot fleet modsign completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "sign-tree" -d 'Sign every module under DIR with a key made in memory for this run only; write its certificate, then destroy the key'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "sign" -d 'Sign one module with an existing key, as scripts/sign-file does'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "verify" -d 'Check modules the way the kernel will when it loads them'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "inspect" -d 'Show the signature fields of modules (what modinfo shows, and more)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "certs" -d 'List or extract the certificates built into a kernel image (exit 1 when it has none)'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "build" -d 'Run a kernel build with a key that exists only in memory: its certificate is written for the kernel to embed, every module the build installs is signed, the key destroyed'
complete -c kharden -n "__fish_kharden_using_subcommand help; and __fish_seen_subcommand_from modsign" -f -a "sign-request" -d '(Run by make under `modsign build`: sign one module through kharden\'s service.)'
