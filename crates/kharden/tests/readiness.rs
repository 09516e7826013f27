//! `audit --readiness`: each family of blockers on fixture trees built here (a /proc with
//! processes whose descriptors are symbolic links inside the tree, sysfs values, config files,
//! a module tree and the running kernel's image), in its three verdicts: blocked, ready,
//! unknown. The probes read link targets with readlinkat and never open them.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{finding, fixtures, json, kharden};
use kharden::files::Root;
use kharden::probe::kinds::BlockerKind as K;
use kharden::probe::readiness::{look, Look};
use kharden::probe::{read_facts, ProbeOptions};

const REL: &str = "6.1.0-56-cloud-amd64";

/// A fixture tree: a live-looking root with the files each test plants.
struct Tree(tempfile::TempDir);

impl Tree {
    /// A tree as [`Tree::new`] makes it, without the empty directory `dir` (not captured).
    fn without(self, dir: &str) -> Tree {
        self.remove(dir);
        self
    }

    /// Remove the empty directory `dir`.
    fn remove(&self, dir: &str) {
        std::fs::remove_dir(self.path().join(dir)).unwrap();
    }

    /// The minimum of a live host: a release, a command line, /etc, /var, /lib, /sys/fs.
    fn new() -> Tree {
        let t = Tree(tempfile::tempdir().unwrap());
        t.file("proc/sys/kernel/osrelease", &format!("{REL}\n"));
        t.file("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro\n");
        t.file(
            "proc/mounts",
            "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n",
        );
        t.file("proc/modules", "");
        for d in ["etc", "var", "lib", "sys/fs", "sys/power"] {
            t.dir(d);
        }
        t
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn dir(&self, rel: &str) {
        std::fs::create_dir_all(self.path().join(rel)).unwrap();
    }

    fn file(&self, rel: &str, text: &str) {
        self.bytes(rel, text.as_bytes());
    }

    fn bytes(&self, rel: &str, data: &[u8]) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    fn link(&self, rel: &str, target: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    /// A process: its name, real uid and open descriptors (fd -> target, as /proc shows them).
    fn process(&self, pid: u32, comm: &str, uid: u32, fds: &[(u32, &str)]) {
        self.file(&format!("proc/{pid}/comm"), &format!("{comm}\n"));
        self.file(
            &format!("proc/{pid}/status"),
            &format!("Name:\t{comm}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"),
        );
        self.file(&format!("proc/{pid}/maps"), "");
        self.dir(&format!("proc/{pid}/fd"));
        for (fd, target) in fds {
            self.link(&format!("proc/{pid}/fd/{fd}"), target);
        }
    }

    /// What the probes see for `kinds`.
    /// [`Tree::look`] for a fixed number of kinds, one `Look` each.
    fn looks<const N: usize>(&self, kinds: [K; N]) -> [Look; N] {
        self.look(&kinds).try_into().unwrap()
    }

    fn look(&self, kinds: &[K]) -> Vec<Look> {
        let facts = read_facts(
            &ProbeOptions {
                root: self.path().to_path_buf(),
                config: None,
                cmdline: None,
                sysctl: None,
                live: true,
            },
            &BTreeSet::new(),
        )
        .unwrap();
        let wanted: BTreeSet<K> = kinds.iter().copied().collect();
        let looks = look(&Root::new(self.path()), &facts, &wanted);
        kinds.iter().map(|k| looks[k].clone()).collect()
    }

    fn one(&self, kind: K) -> Look {
        self.look(&[kind]).remove(0)
    }
}

fn things(l: &Look) -> Vec<&str> {
    l.found.iter().map(|f| f.thing.as_str()).collect()
}

/// Blocked: the things named; nothing else asserted.
fn assert_blocked(l: &Look, expected: &[&str]) {
    assert_eq!(things(l), expected, "{l:#?}");
}

/// Ready: nothing found, nothing unexamined, something examined.
fn assert_ready(l: &Look) {
    assert!(
        l.found.is_empty() && l.unknown.is_empty() && !l.examined.is_empty(),
        "{l:#?}"
    );
}

/// Unknown: nothing found, and a reason naming `why`.
fn assert_unknown(l: &Look, why: &str) {
    assert!(l.found.is_empty(), "{l:#?}");
    assert!(
        l.unknown.iter().any(|u| u.contains(why)),
        "{why:?} not in {l:#?}"
    );
}

fn modsig_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../modsig/tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The bzImage of crates/modsig/tests/kernel_image.rs: Debian's 6.1.0-56 build key and the
/// rsa4096 test key built in.
fn bzimage() -> Vec<u8> {
    let payload = modsig_fixture("kernel/payload.xz");
    let mut img = vec![0u8; 5 * 512];
    img[0x1f1] = 4;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(&payload);
    img
}

fn module_tree(t: &Tree, image: bool) {
    let m = format!("lib/modules/{REL}");
    t.bytes(
        &format!("{m}/kernel/crc7.ko.zst"),
        &modsig_fixture("crc7.debian-signed.ko.zst"),
    );
    t.bytes(
        &format!("{m}/extra/ours.ko"),
        &modsig_fixture("crc7.rsa4096.sha384.skid.ko"),
    );
    if image {
        t.bytes(&format!("boot/vmlinuz-{REL}"), &bzimage());
    }
}

#[test]
fn modules_on_disk_against_the_running_images_certificates() {
    // Ready: every module verifies with a certificate built into /boot/vmlinuz-<release>.
    let t = Tree::new();
    module_tree(&t, true);
    let l = t.one(K::UnsignedModule);
    assert_ready(&l);
    assert!(
        l.examined[0].contains(
            "2 module(s) under /lib/modules/6.1.0-56-cloud-amd64 against the 2 certificate(s)"
        ),
        "{l:#?}"
    );

    // Blocked: an unsigned module, and one signed by a key the image does not hold.
    t.bytes(
        &format!("lib/modules/{REL}/updates/dkms/zfs.ko"),
        b"\x7fELF unsigned module",
    );
    t.bytes(
        &format!("lib/modules/{REL}/misc/vbox.ko"),
        &modsig_fixture("crc7.p384.sha256.ko"),
    );
    let l = t.one(K::UnsignedModule);
    assert_eq!(l.found.len(), 2, "{l:#?}");
    assert_eq!(
        l.found[1].thing,
        format!("/lib/modules/{REL}/updates/dkms/zfs.ko: unsigned")
    );
    assert!(
        l.found[0]
            .thing
            .starts_with(&format!("/lib/modules/{REL}/misc/vbox.ko: signed by "))
            && l.found[0]
                .thing
                .ends_with("a key the running kernel does not trust"),
        "{l:#?}"
    );

    // Unknown: without the running image, a signed module cannot be judged; the unsigned
    // one still can.
    let t = Tree::new();
    module_tree(&t, false);
    let l = t.one(K::UnsignedModule);
    assert_unknown(
        &l,
        "2 signed module(s) not checked against the running kernel's keys",
    );
    assert!(l
        .unknown
        .iter()
        .any(|u| u.contains(&format!("/boot/vmlinuz-{REL}: not found"))));
    t.bytes(&format!("lib/modules/{REL}/extra/bare.ko"), b"\x7fELF");
    assert_blocked(
        &t.one(K::UnsignedModule),
        &[&format!("/lib/modules/{REL}/extra/bare.ko: unsigned")],
    );

    // A snapshot that did not capture /lib says so rather than "no modules".
    let t = Tree::new().without("lib");
    assert_unknown(
        &t.one(K::UnsignedModule),
        "no /lib under the root (not captured)",
    );
}

#[test]
fn loaded_modules_with_taint_e() {
    let t = Tree::new();
    t.file(
        "proc/modules",
        "crc7 16384 0 - Live 0x0\nvboxdrv 696320 2 vboxnetadp, Live 0x0 (OE)\nnvidia 1 0 - Live 0x0 (POE)\n",
    );
    assert_blocked(
        &t.one(K::LoadedUnsignedModule),
        &[
            "module nvidia (loaded, taint E in /proc/modules)",
            "module vboxdrv (loaded, taint E in /proc/modules)",
        ],
    );
    t.file(
        "proc/modules",
        "crc7 16384 0 - Live 0x0\next4 1 0 - Live 0x0 (O)\n",
    );
    assert_ready(&t.one(K::LoadedUnsignedModule));
    std::fs::remove_file(t.path().join("proc/modules")).unwrap();
    t.dir("proc/modules");
    assert_unknown(&t.one(K::LoadedUnsignedModule), "/proc/modules");
}

/// An EFI signature list holding one X.509 certificate, as an efivarfs file (4 attribute bytes
/// first).
fn efivar_with_cert(der: &[u8]) -> Vec<u8> {
    let x509 = [
        0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0,
        0x72,
    ];
    let size = 16 + der.len() as u32;
    let mut v = vec![7, 0, 0, 0];
    v.extend_from_slice(&x509);
    v.extend_from_slice(&(28 + size).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&[0x11; 16]);
    v.extend_from_slice(der);
    v
}

const MOK: &str = "sys/firmware/efi/efivars/MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23";

#[test]
fn dkms_keys_enrolled_or_not() {
    let key = modsig_fixture("p384_cert.der");
    // No key at all: nothing to enrol.
    let t = Tree::new();
    assert_ready(&t.one(K::UnenrolledModuleKey));

    // DKMS's key on a host booted without EFI: no MOK can hold it.
    t.bytes("var/lib/dkms/mok.pub", &key);
    let l = t.one(K::UnenrolledModuleKey);
    assert_eq!(l.found.len(), 1, "{l:#?}");
    assert!(
        l.found[0]
            .thing
            .starts_with("DKMS signing key /var/lib/dkms/mok.pub ("),
        "{l:#?}"
    );
    assert!(l.found[0].thing.ends_with(") is not enrolled"), "{l:#?}");

    // EFI, MokListRT without it, an enrolment pending.
    t.bytes(MOK, &efivar_with_cert(&modsig_fixture("rsa4096_cert.der")));
    t.file(
        "sys/firmware/efi/efivars/MokNew-605dab50-e046-4300-abb6-3dd810dd8b23",
        "x",
    );
    let l = t.one(K::UnenrolledModuleKey);
    assert!(
        l.found[0]
            .thing
            .ends_with("(an enrolment is pending: MokNew exists)"),
        "{l:#?}"
    );

    // Enrolled: in MokListRT.
    t.bytes(MOK, &efivar_with_cert(&key));
    let l = t.one(K::UnenrolledModuleKey);
    assert_ready(&l);
    assert!(
        l.examined
            .iter()
            .any(|e| e == "DKMS key /var/lib/dkms/mok.pub is enrolled"),
        "{l:#?}"
    );
    // ... and its modules verify against the enrolled key too.
    module_tree(&t, true);
    t.bytes(
        &format!("lib/modules/{REL}/updates/dkms/ours.ko"),
        &modsig_fixture("crc7.p384.sha512.skid.ko"),
    );
    assert_ready(&t.one(K::UnsignedModule));

    // EFI without efivars mounted and no /proc/keys: not known.
    let t = Tree::new();
    t.bytes("var/lib/dkms/mok.pub", &key);
    t.dir("sys/firmware/efi/efivars");
    assert_unknown(
        &t.one(K::UnenrolledModuleKey),
        "whether it is enrolled is not known",
    );
}

#[test]
fn dkms_builds() {
    let t = Tree::new();
    t.dir("var/lib/dkms/zfs/2.1.11/source");
    t.dir(&format!("var/lib/dkms/zfs/2.1.11/{REL}"));
    t.link(
        "var/lib/dkms/zfs/kernel-6.1.0-56-cloud-amd64-x86_64",
        &format!("2.1.11/{REL}"),
    );
    t.file("var/lib/dkms/mok.pub", "");
    assert_blocked(
        &t.one(K::DkmsModule),
        &["DKMS module zfs 2.1.11 (/var/lib/dkms/zfs/2.1.11)"],
    );
    let t = Tree::new();
    assert_ready(&t.one(K::DkmsModule));
    t.remove("var");
    assert_unknown(&t.one(K::DkmsModule), "no /var under the root");
}

#[test]
fn hibernation_configured() {
    let t = Tree::new();
    t.file("sys/power/disk", "[platform] shutdown reboot suspend\n");
    t.file("sys/power/resume", "0:0\n");
    t.file(
        "proc/swaps",
        "Filename Type Size Used Priority\n/dev/vda2 partition 1 0 -2\n",
    );
    assert_ready(&t.one(K::Hibernation));
    t.file("proc/cmdline", "root=/dev/vda1 resume=UUID=1234 ro\n");
    t.file("sys/power/resume", "254:2\n");
    t.file(
        "etc/initramfs-tools/conf.d/resume",
        "# chosen by the installer\nRESUME=UUID=1234\n",
    );
    assert_blocked(
        &t.one(K::Hibernation),
        &[
            "/etc/initramfs-tools/conf.d/resume:2: RESUME=UUID=1234",
            "resume device 254:2 set in /sys/power/resume",
            "resume=UUID=1234 on the kernel command line (/proc/cmdline)",
        ],
    );
    // A kernel without hibernation: nothing to break.
    let t = Tree::new();
    t.file("proc/swaps", "Filename Type Size Used Priority\n");
    assert_ready(&t.one(K::Hibernation));
    t.remove("sys/power");
    assert_unknown(&t.one(K::Hibernation), "no /sys/power under the root");
}

#[test]
fn kexec_and_kdump() {
    let t = Tree::new();
    t.file("sys/kernel/kexec_crash_loaded", "0\n");
    t.file("sys/kernel/kexec_loaded", "0\n");
    t.file(
        "var/lib/dpkg/status",
        "Package: bash\nStatus: install ok installed\n",
    );
    let [load, user, crash] = t.looks([K::KexecLoad, K::KexecUser, K::CrashKernelLoaded]);
    assert_ready(&load);
    assert_ready(&user);
    assert_ready(&crash);

    // Debian's kdump-tools default: kexec_load.
    t.file(
        "etc/default/kdump-tools",
        "USE_KDUMP=1\n#KDUMP_KEXEC_ARGS=\"\"\n",
    );
    t.file("sys/kernel/kexec_crash_loaded", "1\n");
    t.file(
        "var/crash/kexec_cmd",
        "/sbin/kexec -p --command-line=\"reset_devices\" /var/lib/kdump/vmlinuz\n",
    );
    let [load, user, crash] = t.looks([K::KexecLoad, K::KexecUser, K::CrashKernelLoaded]);
    assert_blocked(
        &load,
        &[
            "kdump-tools loads its crash kernel with kexec_load, without -s (/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS)",
            "the last crash kernel load used kexec_load: /var/crash/kexec_cmd: /sbin/kexec -p --command-line=\"reset_devices\" /var/lib/kdump/vmlinuz",
        ],
    );
    assert_eq!(user.found.len(), 2, "{user:#?}");
    assert_blocked(
        &crash,
        &["a crash kernel is loaded (/sys/kernel/kexec_crash_loaded = 1)"],
    );

    // -s: kexec_file_load, which lockdown allows for signed kernels; kexec_load_disabled
    // still refuses it.
    t.file(
        "etc/default/kdump-tools",
        "USE_KDUMP=1\nKDUMP_KEXEC_ARGS=\"-s\"\n",
    );
    t.file(
        "var/crash/kexec_cmd",
        "/sbin/kexec -s -p /var/lib/kdump/vmlinuz\n",
    );
    let [load, user] = t.looks([K::KexecLoad, K::KexecUser]);
    assert_ready(&load);
    assert_blocked(
        &user,
        &[
            "kdump-tools loads a crash kernel at boot (/etc/default/kdump-tools:2: KDUMP_KEXEC_ARGS=\"-s\")",
            "the last crash kernel load used kexec_file_load: /var/crash/kexec_cmd: /sbin/kexec -s -p /var/lib/kdump/vmlinuz",
        ],
    );

    // kexec-tools' reboot loader.
    t.file("etc/default/kexec", "LOAD_KEXEC=true\n");
    assert!(things(&t.one(K::KexecLoad))[0].contains("/etc/default/kexec:1: LOAD_KEXEC=true"));

    // kexec-tools before 2.0.27 (Debian 12's): a kexec without -s calls kexec_load, and so
    // does systemctl kexec; a kernel loaded for a kexec reboot cannot be replaced under
    // kexec_load_disabled.
    t.file("etc/default/kexec", "LOAD_KEXEC=false\n");
    t.file(
        "etc/default/kdump-tools",
        "USE_KDUMP=1\n#KDUMP_KEXEC_ARGS=\"\"\n",
    );
    std::fs::remove_file(t.path().join("var/crash/kexec_cmd")).unwrap();
    t.file("sys/kernel/kexec_loaded", "1\n");
    t.file(
        "var/lib/dpkg/status",
        "Package: kexec-tools\nStatus: install ok installed\nVersion: 1:2.0.25-3+b1\n",
    );
    let [load, user] = t.looks([K::KexecLoad, K::KexecUser]);
    assert_blocked(
        &load,
        &[
            "kdump-tools loads its crash kernel with kexec_load, without -s (/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS)",
            "kexec-tools 1:2.0.25-3+b1 is installed: kexec -l, kexec -p and systemctl kexec (which runs kexec --load) use kexec_load unless given -s (kexec_file_load is its default from 2.0.27) (/var/lib/dpkg/status)",
        ],
    );
    assert_eq!(
        things(&user)[0],
        "a kernel is loaded for a kexec reboot (/sys/kernel/kexec_loaded = 1): it stays, but cannot be replaced or unloaded"
    );
    assert_eq!(user.found.len(), 3, "{user:#?}");

    // kexec-tools 2.0.27 and later try kexec_file_load first: lockdown refuses an unsigned
    // image with EPERM, on which it does not fall back, so nothing calls kexec_load; both calls
    // are still refused by kexec_load_disabled.
    t.file(
        "var/lib/dpkg/status",
        "Package: kexec-tools\nStatus: install ok installed\nVersion: 1:2.0.31-1\n",
    );
    let [load, user] = t.looks([K::KexecLoad, K::KexecUser]);
    assert_ready(&load);
    assert!(
        load.examined.iter().any(|e| e
            == "/etc/default/kdump-tools (kexec-tools 1:2.0.31-1 tries kexec_file_load first and falls back to kexec_load only when the kernel does not know the image, not on lockdown's EPERM)"),
        "{load:#?}"
    );
    assert_eq!(user.found.len(), 3, "{user:#?}");
    // -c asks for kexec_load whatever the version.
    t.file(
        "etc/default/kdump-tools",
        "USE_KDUMP=1\nKDUMP_KEXEC_ARGS=\"-c\"\n",
    );
    assert_blocked(
        &t.one(K::KexecLoad),
        &["kdump-tools loads its crash kernel with kexec_load, without -s (/etc/default/kdump-tools:2: KDUMP_KEXEC_ARGS=\"-c\")"],
    );

    // Without dpkg's list, which call a plain kexec makes is not known.
    std::fs::remove_file(t.path().join("var/lib/dpkg/status")).unwrap();
    let user = t.one(K::KexecUser);
    assert!(
        user.unknown[0].starts_with(
            "no /var/lib/dpkg/status (only dpkg's list is read): whether kexec-tools is installed"
        ),
        "{user:#?}"
    );

    let t = Tree::new().without("etc");
    assert_unknown(
        &t.one(K::KexecLoad),
        "/etc/default/kdump-tools: no /etc under the root",
    );
}

#[test]
fn processes_holding_devices() {
    let t = Tree::new();
    t.process(1, "systemd", 0, &[(0, "/dev/null"), (5, "socket:[123]")]);
    t.process(812, "flashrom", 0, &[(3, "/dev/mem"), (4, "/dev/port")]);
    t.process(900, "wrmsr", 0, &[(3, "/dev/cpu/0/msr")]);
    t.file(
        "proc/900/fdinfo/3",
        "pos:\t0\nflags:\t0100002\nmnt_id:\t25\n",
    );
    t.process(901, "turbostat", 0, &[(3, "/dev/cpu/1/msr")]);
    t.file(
        "proc/901/fdinfo/3",
        "pos:\t0\nflags:\t0100000\nmnt_id:\t25\n",
    );
    t.process(950, "dpdk-app", 0, &[(7, "/dev/uio0")]);
    t.file(
        "proc/950/maps",
        "7f0000000000-7f0000100000 rw-s 00000000 00:14 999 /sys/devices/pci0000:00/0000:00:03.0/resource0\n",
    );
    t.process(960, "drgn", 0, &[(3, "/proc/kcore")]);
    t.process(970, "logwatch", 1000, &[(3, "/dev/kmsg")]);
    t.process(971, "journald", 0, &[(3, "/dev/kmsg")]);
    let [mem, msr, pci, kcore, klog] = t.looks([
        K::DevMemUser,
        K::MsrUser,
        K::PciResourceMapped,
        K::KcoreReader,
        K::KernelLogReader,
    ]);
    assert_blocked(
        &mem,
        &[
            "process 812 (flashrom) holds /dev/mem open (fd 3)",
            "process 812 (flashrom) holds /dev/port open (fd 4)",
        ],
    );
    assert!(
        mem.examined[0].starts_with("open files of 8 processes"),
        "{mem:#?}"
    );
    // Written through O_RDWR: blocked; read-only: reads stay allowed.
    assert_blocked(
        &msr,
        &["process 900 (wrmsr) holds /dev/cpu/0/msr open (fd 3)"],
    );
    assert!(msr
        .examined
        .iter()
        .any(|e| e.contains("1 MSR descriptor(s) open read-only")));
    assert_blocked(
        &pci,
        &[
            "process 950 (dpdk-app) holds /dev/uio0 open (fd 7)",
            "process 950 (dpdk-app) maps /sys/devices/pci0000:00/0000:00:03.0/resource0",
        ],
    );
    assert_blocked(
        &kcore,
        &["process 960 (drgn) holds /proc/kcore open (fd 3)"],
    );
    // Root reads the log whatever dmesg_restrict says.
    assert_blocked(
        &klog,
        &["process 970 (logwatch) holds /dev/kmsg open (fd 3)"],
    );

    // Ready: the same processes without those descriptors.
    let t = Tree::new();
    t.process(1, "systemd", 0, &[(0, "/dev/null")]);
    t.process(812, "flashrom", 0, &[(3, "/usr/bin/flashrom")]);
    for l in t.look(&[
        K::DevMemUser,
        K::MsrUser,
        K::PciResourceMapped,
        K::KcoreReader,
        K::KernelLogReader,
    ]) {
        assert_ready(&l);
    }

    // Unknown: one process's descriptors could not be read (here: no fd directory), or no
    // process at all (a snapshot without /proc/PID).
    std::fs::remove_dir_all(t.path().join("proc/812/fd")).unwrap();
    assert_unknown(
        &t.one(K::DevMemUser),
        "the open files of 1 of 2 processes could not be read",
    );
    let t = Tree::new();
    assert_unknown(&t.one(K::DevMemUser), "no processes under /proc");
    assert_unknown(&t.one(K::KcoreReader), "no processes under /proc");
}

#[test]
fn debugfs_and_tracefs_users() {
    let t = Tree::new();
    t.file(
        "proc/mounts",
        "debugfs /sys/kernel/debug debugfs rw 0 0\ntracefs /sys/kernel/debug/tracing tracefs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\n",
    );
    t.process(1, "systemd", 0, &[]);
    t.process(300, "pmdakvm", 0, &[(4, "/sys/kernel/debug/kvm/exits")]);
    t.process(
        301,
        "trace-cmd",
        0,
        &[
            (5, "/sys/kernel/debug/tracing/trace_pipe"),
            (6, "/sys/kernel/tracing/trace"),
        ],
    );
    let [debugfs, tracefs] = t.looks([K::DebugfsUser, K::TracefsUser]);
    assert_blocked(
        &debugfs,
        &["process 300 (pmdakvm) holds /sys/kernel/debug/kvm/exits open (fd 4)"],
    );
    assert_blocked(
        &tracefs,
        &[
            "process 301 (trace-cmd) holds /sys/kernel/debug/tracing/trace_pipe open (fd 5)",
            "process 301 (trace-cmd) holds /sys/kernel/tracing/trace open (fd 6)",
        ],
    );
    assert!(debugfs
        .examined
        .iter()
        .any(|e| e == "debugfs mounted at /sys/kernel/debug"));

    // Lockdown lets a debugfs file of mode 0444 or less, opened read-only, be opened again
    // unless it has ioctl or mmap, which /proc does not show: unknown, not blocked (the test
    // bed's debugfs-readonly guest: Debian's 6.1 kernel reopened wakeup_sources under
    // integrity). A write bit in the mode, or a descriptor open for writing: blocked.
    let t = Tree::new();
    t.file("proc/mounts", "debugfs /sys/kernel/debug debugfs rw 0 0\n");
    t.process(1, "systemd", 0, &[]);
    let ro = "/sys/kernel/debug/wakeup_sources";
    let rw = "/sys/kernel/debug/fault_around_bytes";
    for (rel, mode) in [(ro, 0o444), (rw, 0o644)] {
        t.file(rel.trim_start_matches('/'), "");
        std::fs::set_permissions(
            t.path().join(rel.trim_start_matches('/')),
            std::os::unix::fs::PermissionsExt::from_mode(mode),
        )
        .unwrap();
    }
    for (pid, target, flags) in [
        (400, ro, "0100000"),
        (401, ro, "0100002"),
        (402, rw, "0100000"),
    ] {
        t.process(pid, "agent", 0, &[(3, target)]);
        t.file(
            &format!("proc/{pid}/fdinfo/3"),
            &format!("pos:\t0\nflags:\t{flags}\nmnt_id:\t30\n"),
        );
    }
    let l = t.one(K::DebugfsUser);
    assert_eq!(
        things(&l),
        [
            "process 401 (agent) holds /sys/kernel/debug/wakeup_sources open (fd 3)",
            "process 402 (agent) holds /sys/kernel/debug/fault_around_bytes open (fd 3)",
        ],
        "{l:#?}"
    );
    assert_eq!(
        l.unknown,
        ["process 400 (agent) holds /sys/kernel/debug/wakeup_sources open read-only (mode 0444): lockdown refuses it only if the file has ioctl or mmap, which /proc does not show"]
    );
    // Alone, the read-only holder makes the verdict unknown.
    std::fs::remove_dir_all(t.path().join("proc/401")).unwrap();
    std::fs::remove_dir_all(t.path().join("proc/402")).unwrap();
    assert_unknown(&t.one(K::DebugfsUser), "open read-only (mode 0444)");

    let t = Tree::new();
    t.process(1, "systemd", 0, &[(3, "/sys/fs/cgroup")]);
    let l = t.one(K::DebugfsUser);
    assert_ready(&l);
    assert!(l
        .examined
        .iter()
        .any(|e| e == "debugfs not mounted (/proc/mounts)"));
    std::fs::remove_file(t.path().join("proc/mounts")).unwrap();
    assert_unknown(&t.one(K::DebugfsUser), "/proc/mounts: not found");
}

#[test]
fn bpf_kprobes_perf() {
    let t = Tree::new();
    t.file(
        "proc/mounts",
        "tracefs /sys/kernel/tracing tracefs rw 0 0\n",
    );
    t.file("sys/kernel/tracing/kprobe_events", "");
    t.process(1, "systemd", 0, &[(40, "anon_inode:bpf-prog")]);
    t.file("proc/1/fdinfo/40", "pos:\t0\nprog_type:\t15\nprog_id:\t7\n");
    t.process(2000, "sshd", 0, &[]);
    let [bpf, kp, perf, unpriv] = t.looks([
        K::TracingBpf,
        K::KprobeEvent,
        K::PerfEventUser,
        K::UnprivilegedPerfUser,
    ]);
    // systemd's cgroup device program is not a tracing program.
    assert_ready(&bpf);
    assert_ready(&kp);
    assert_ready(&perf);
    assert_ready(&unpriv);

    t.process(
        3000,
        "bpftrace",
        0,
        &[(9, "anon_inode:bpf-prog"), (10, "anon_inode:[perf_event]")],
    );
    t.file(
        "proc/3000/fdinfo/9",
        "pos:\t0\nflags:\t02000002\nprog_type:\t2\nprog_id:\t41\n",
    );
    t.process(
        3100,
        "perf",
        1000,
        &[
            (3, "anon_inode:[perf_event]"),
            (4, "anon_inode:[perf_event]"),
        ],
    );
    t.file(
        "sys/kernel/tracing/kprobe_events",
        "p:kprobes/myprobe do_sys_openat2 dfd=%ax\n",
    );
    let [bpf, kp, perf, unpriv] = t.looks([
        K::TracingBpf,
        K::KprobeEvent,
        K::PerfEventUser,
        K::UnprivilegedPerfUser,
    ]);
    assert_blocked(
        &bpf,
        &["process 3000 (bpftrace) holds a BPF kprobe program id 41 (fd 9)"],
    );
    assert_blocked(
        &kp,
        &["kprobe event p:kprobes/myprobe do_sys_openat2 dfd=%ax (/sys/kernel/tracing/kprobe_events)"],
    );
    assert_blocked(
        &perf,
        &[
            "process 3000 (bpftrace, uid 0) holds 1 perf event(s)",
            "process 3100 (perf, uid 1000) holds 2 perf event(s)",
        ],
    );
    assert_blocked(
        &unpriv,
        &["process 3100 (perf, uid 1000) holds 2 perf event(s)"],
    );

    // A program whose type cannot be read; tracefs not mounted.
    std::fs::remove_file(t.path().join("proc/3000/fdinfo/9")).unwrap();
    std::fs::remove_file(t.path().join("sys/kernel/tracing/kprobe_events")).unwrap();
    let [bpf, kp] = t.looks([K::TracingBpf, K::KprobeEvent]);
    assert_unknown(&bpf, "the type of 1 BPF program(s) could not be read");
    assert_unknown(&kp, "tracefs is not mounted");
}

#[test]
fn profilers_selinux_acpi() {
    let t = Tree::new();
    t.process(1, "systemd", 0, &[]);
    t.file(
        "var/lib/dpkg/status",
        "Package: bash\nStatus: install ok installed\n\nPackage: linux-perf\nStatus: deinstall ok config-files\n",
    );
    t.file("sys/fs/selinux/enforce", "1");
    let [prof, se, acpi] = t.looks([K::Profiler, K::SelinuxPermissive, K::AcpiOverride]);
    assert_ready(&prof);
    assert_ready(&se);
    assert_ready(&acpi);

    t.process(42, "bpftrace", 0, &[]);
    t.file(
        "var/lib/dpkg/status",
        "Package: linux-perf\nStatus: install ok installed\nVersion: 6.1\n\nPackage: bash\nStatus: install ok installed\n",
    );
    t.file("sys/fs/selinux/enforce", "0");
    t.file("proc/cmdline", "root=/dev/vda1 acpi_rsdp=0xf0000\n");
    t.file(
        "etc/dracut.conf.d/acpi.conf",
        "acpi_override=\"yes\"\nacpi_table_dir=\"/lib/firmware/acpi\"\n",
    );
    let [prof, se, acpi] = t.looks([K::Profiler, K::SelinuxPermissive, K::AcpiOverride]);
    assert_blocked(
        &prof,
        &[
            "package linux-perf is installed (/var/lib/dpkg/status)",
            "process 42 (bpftrace) is running",
        ],
    );
    assert_blocked(
        &se,
        &["SELinux is permissive now (/sys/fs/selinux/enforce = 0)"],
    );
    assert_blocked(
        &acpi,
        &[
            "/etc/dracut.conf.d/acpi.conf:1: acpi_override=\"yes\" (ACPI tables in the initrd)",
            "acpi_rsdp=0xf0000 on the kernel command line (/proc/cmdline)",
        ],
    );

    let t = Tree::new();
    t.process(1, "systemd", 0, &[]);
    assert_unknown(&t.one(K::Profiler), "no /var/lib/dpkg/status");
    assert_ready(&t.one(K::SelinuxPermissive));
    std::fs::remove_dir_all(t.path().join("sys/fs")).unwrap();
    assert_unknown(&t.one(K::SelinuxPermissive), "no /sys/fs under the root");
}

/// Permissive domains in the SELinux policy store are said among what was examined, not as
/// blockers: without SELINUX_DEVELOP the kernel still lets them through. A disabled module is
/// not in effect.
#[test]
fn selinux_permissive_domains() {
    let t = Tree::new();
    t.file("sys/fs/selinux/enforce", "1");
    let store = "var/lib/selinux/default/active";
    t.file(&format!("{store}/modules/400/permissive_httpd_t/cil"), "x");
    t.file(&format!("{store}/modules/400/permissive_ntpd_t/cil"), "x");
    t.file(&format!("{store}/modules/100/base/cil"), "x");
    t.file(&format!("{store}/disabled/permissive_ntpd_t"), "");
    let l = t.one(K::SelinuxPermissive);
    assert_ready(&l);
    assert_eq!(
        l.examined,
        [
            "/sys/fs/selinux/enforce = 1",
            "permissive domains, which stay permissive without SELINUX_DEVELOP: httpd_t (/var/lib/selinux/default/active/modules/400/permissive_httpd_t)",
        ],
        "{l:#?}"
    );
    std::fs::remove_dir_all(t.path().join(format!("{store}/modules/400"))).unwrap();
    assert_eq!(
        t.one(K::SelinuxPermissive).examined[1],
        "no permissive domains in the SELinux policy store (/var/lib/selinux)"
    );
}

/// Programs using bpf_probe_write_user, from the kernel log's records (the kernel's own
/// warning, kernel/trace/bpf_trace.c): the loader named with whether it still runs, the rate
/// limit's unnamed loads, a log that no longer starts at boot, and no log at all.
#[test]
fn bpf_write_user_from_the_kernel_log() {
    let t = Tree::new();
    t.file(
        "dev/kmsg",
        "6,0,0,-;Linux version 6.1.0-56-cloud-amd64\n SUBSYSTEM=x\n\
         4,812,5123456,-;tbhelper[77] is installing a program with bpf_probe_write_user helper that may corrupt user memory!\n\
         4,813,5123999,-;bpf_get_probe_write_proto: 3 callbacks suppressed\n\
         4,814,6000000,-;gone[78] is installing a program with bpf_probe_write_user helper that may corrupt user memory!\n",
    );
    t.process(77, "tbhelper", 0, &[]);
    let l = t.one(K::BpfWriteUser);
    assert_blocked(
        &l,
        &[
            "3 more load(s) of such programs, not named (the kernel's rate limit: \"bpf_get_probe_write_proto: 3 callbacks suppressed\")",
            "process 77 (tbhelper) loaded a BPF program that uses bpf_probe_write_user (5.123456 s after boot, kernel log); it still runs",
            "process 78 (gone) loaded a BPF program that uses bpf_probe_write_user (6.000000 s after boot, kernel log); it no longer runs (it or its service would be refused the next time it loads one)",
        ],
    );
    assert!(l.unknown.is_empty(), "{l:#?}");
    assert!(l.examined[0].contains("4 record(s)"), "{l:#?}");

    // Ready: the log holds every record since boot (it starts at 0) and no warning.
    t.file("dev/kmsg", "6,0,0,-;Linux version 6.1.0\n6,1,10,-;other\n");
    assert_ready(&t.one(K::BpfWriteUser));

    // The oldest records were overwritten: what was loaded before is not seen.
    t.file("dev/kmsg", "6,5000,90000000,-;later\n");
    assert_unknown(
        &t.one(K::BpfWriteUser),
        "the kernel log starts at record 5000 (90.000000 s after boot)",
    );

    // No log: a tree without /dev did not capture it; a /dev without kmsg says so.
    t.dir("dev");
    std::fs::remove_file(t.path().join("dev/kmsg")).unwrap();
    assert_unknown(&t.one(K::BpfWriteUser), "/dev/kmsg: not found");
    std::fs::remove_dir(t.path().join("dev")).unwrap();
    assert_unknown(&t.one(K::BpfWriteUser), "no /dev under the root");

    // Only a regular file is read under a tree: a FIFO (or a device node) is refused.
    t.dir("dev");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        t.path().join("dev/kmsg"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    assert_unknown(&t.one(K::BpfWriteUser), "/dev/kmsg: not a regular file");
}

/// A snapshot archive keeps of the kernel log only its first record and the warnings the probe
/// reads, and the archive is then judged as the tree: the same loader named, the same log start.
#[test]
fn bpf_write_user_in_a_snapshot_archive() {
    let t = Tree::new();
    t.file(
        "dev/kmsg",
        "6,3,100,-;Linux version 6.1.0\n\
         6,4,200,-;eth0: link up (secret detail)\n\
         4,5,5123456,-;tool[9] is installing a program with bpf_probe_write_user helper that may corrupt user memory!\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.tar.zst");
    let r = kharden([
        "snapshot",
        "--root",
        t.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let root = Root::open_any(&out).unwrap();
    let kept = String::from_utf8(root.read("/dev/kmsg").unwrap()).unwrap();
    assert_eq!(
        kept,
        "6,3,100,-;Linux version 6.1.0\n\
         4,5,5123456,-;tool[9] is installing a program with bpf_probe_write_user helper that may corrupt user memory!\n"
    );
    let facts = read_facts(
        &ProbeOptions {
            root: out.clone(),
            config: None,
            cmdline: None,
            sysctl: None,
            live: true,
        },
        &BTreeSet::new(),
    )
    .unwrap();
    let looks = look(&root, &facts, &BTreeSet::from([K::BpfWriteUser]));
    let (archived, tree) = (&looks[&K::BpfWriteUser], t.one(K::BpfWriteUser));
    assert_eq!(things(archived), things(&tree));
    assert_eq!(archived.unknown, tree.unknown);
    assert!(
        archived.unknown[0].contains("starts at record 3"),
        "{archived:#?}"
    );
}

/// A descriptor's target is a name, never a path to follow: the link to a file that exists in
/// the tree is reported by its name, a target that only starts like a device is not that
/// device, and a process name is kept as it is (escaped only when shown on a terminal).
#[test]
fn descriptor_links_are_read_not_followed() {
    let t = Tree::new();
    t.file("dev/mem", "this would be read if the link were followed");
    t.process(
        1,
        "evil\x1b[2J",
        0,
        &[(3, "/dev/mem"), (4, "/dev/mem/../../etc/shadow")],
    );
    let l = t.one(K::DevMemUser);
    assert_blocked(&l, &["process 1 (evil\x1b[2J) holds /dev/mem open (fd 3)"]);
}

/// Offline (files only) there is no host: every kind is unknown.
#[test]
fn offline_audits_examine_nothing() {
    let cfg = fixtures().join("configs/debian12-6.1-amd64.config.xz");
    let v = json([
        "audit",
        "--config",
        cfg.to_str().unwrap(),
        "--no-live",
        "--readiness",
        "--format",
        "json",
    ]);
    let r = &finding(&v, "module-sig-enforced")["readiness"];
    assert_eq!(r["verdict"], "unknown", "{r}");
    assert!(
        r["unknown"][0]
            .as_str()
            .unwrap()
            .starts_with("offline audit"),
        "{r}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The whole path: a snapshot of Debian's cloud kernel (lockdown none, sig_enforce N) with
/// blockers planted; `audit --readiness` gives each failing finding its verdict, in JSON and
/// under the finding in human output; plain `audit` has no readiness at all.
#[test]
fn audit_readiness_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &fixtures().join("snapshots/deb12-6.1-cloud-default"),
        dir.path(),
    );
    let t = Tree(dir);
    for d in ["etc", "var", "lib", "sys/fs"] {
        t.dir(d);
    }
    t.file("proc/mounts", "sysfs /sys sysfs rw 0 0\n");
    t.process(1, "systemd", 0, &[]);
    t.process(812, "flashrom", 0, &[(3, "/dev/mem")]);
    t.file("etc/default/kdump-tools", "USE_KDUMP=1\n");
    let root = t.path().to_str().unwrap().to_string();

    let plain = json(["audit", "--root", &root, "--format", "json"]);
    assert!(plain["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("readiness").is_none()));

    let v = json(["audit", "--root", &root, "--readiness", "--format", "json"]);
    let r = &finding(&v, "lockdown-runtime")["readiness"];
    assert_eq!(r["verdict"], "blocked", "{r}");
    let blockers = r["blockers"].as_array().unwrap();
    let mem = blockers
        .iter()
        .find(|b| b["kind"] == "dev-mem-user")
        .expect("dev-mem-user");
    assert_eq!(
        mem["thing"],
        "process 812 (flashrom) holds /dev/mem open (fd 3)"
    );
    assert!(mem["consequence"].as_str().unwrap().contains("EPERM"));
    assert!(!mem["way_out"].as_str().unwrap().is_empty());
    assert!(blockers.iter().any(|b| b["kind"] == "kexec-load"));
    assert!(r["kinds"].as_array().unwrap().len() >= 10);
    // Passing rules get none.
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(
            f["status"] == "fail",
            f.get("readiness").is_some(),
            "{}",
            f["id"]
        );
    }
    // A rule without readiness data never claims ready.
    let k = &finding(&v, "kaslr-runtime");
    if k["status"] == "fail" {
        assert_eq!(k["readiness"]["verdict"], "unknown");
    }

    let out = kharden(["audit", "--root", &root, "--readiness"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The sample of docs/readiness.md.
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/readiness.md"),
    )
    .unwrap();
    let sample: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.contains("FAIL critical lockdown-runtime"))
        .take_while(|l| !l.contains("examined: ..."))
        .collect();
    assert!(sample.len() > 5, "{sample:?}");
    let shown = out.stdout.lines().collect::<Vec<_>>().join("\n");
    assert!(
        shown.contains(&sample.join("\n")),
        "docs/readiness.md sample differs:\n{}",
        out.stdout
    );
    for shown in [
        "readiness: blocked:",
        "  - process 812 (flashrom) holds /dev/mem open (fd 3) [dev-mem-user]",
        "    breaks: opening /dev/mem, /dev/kmem or /dev/port is refused (EPERM)",
        "    way out: use sysfs instead",
    ] {
        assert!(
            out.stdout.contains(shown),
            "{shown:?} missing:\n{}",
            out.stdout
        );
    }
    assert!(!kharden(["audit", "--root", &root])
        .stdout
        .contains("readiness"));
}

/// The `full` profile's generated rules carry readiness entries where they enforce what a
/// probe can look for (scripts/policy/gen-full.py from notes.toml, some texts taken from the
/// baseline rule enforcing the same thing): `audit --profile full --readiness` gives them
/// verdicts, not "kharden has no probe".
#[test]
fn full_profile_generated_rules_get_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &fixtures().join("snapshots/deb12-6.1-cloud-default"),
        dir.path(),
    );
    let t = Tree(dir);
    for d in ["etc", "var", "lib", "sys/fs"] {
        t.dir(d);
    }
    t.file(
        "proc/mounts",
        "sysfs /sys sysfs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\n\
         debugfs /sys/kernel/debug debugfs rw 0 0\n",
    );
    t.file("sys/kernel/tracing/kprobe_events", "");
    t.process(1, "systemd", 0, &[]);
    t.process(905, "crash", 0, &[(5, "/proc/kcore")]);
    t.process(3100, "perf", 1000, &[(3, "anon_inode:[perf_event]")]);
    // Debian's default is 3 (this snapshot's); a host that lowered it fails the rule.
    t.file("proc/sys/kernel/perf_event_paranoid", "2\n");
    let root = t.path().to_str().unwrap().to_string();
    let v = json([
        "audit",
        "--root",
        &root,
        "--profile",
        "full",
        "--readiness",
        "--format",
        "json",
    ]);
    let no_probe = "kharden has no probe";

    let kcore = finding(&v, "kconfig-proc-kcore");
    assert_eq!(kcore["status"], "fail");
    let r = &kcore["readiness"];
    assert_eq!(r["verdict"], "blocked", "{r}");
    assert_eq!(r["blockers"][0]["kind"], "kcore-reader");
    assert_eq!(
        r["blockers"][0]["thing"].as_str().unwrap(),
        "process 905 (crash) holds /proc/kcore open (fd 5)"
    );
    assert!(r["blockers"][0]["consequence"]
        .as_str()
        .unwrap()
        .starts_with("/proc/kcore does not exist on a kernel built without it"));

    let perf = finding(&v, "sysctl-kernel-perf-event-paranoid");
    assert_eq!(perf["status"], "fail");
    let r = &perf["readiness"];
    assert_eq!(r["verdict"], "blocked", "{r}");
    assert_eq!(r["blockers"][0]["kind"], "unprivileged-perf-user");
    assert!(r["blockers"][0]["thing"]
        .as_str()
        .unwrap()
        .contains("process 3100 (perf, uid 1000)"));

    // Texts taken from the baseline rule that enforces the same thing; the snapshot has no
    // /sys/power, so hibernation is not examined: unknown, with that reason, not "no probe".
    let hib = &finding(&v, "kconfig-hibernation")["readiness"];
    assert_eq!(hib["verdict"], "unknown", "{hib}");
    assert!(!hib.to_string().contains(no_probe), "{hib}");
    let base = &finding(&v, "lockdown-runtime")["readiness"]["kinds"];
    assert!(base.to_string().contains("hibernation"), "{base}");

    // Nothing planted under debugfs or tracefs: ready, with what was examined.
    for id in [
        "kconfig-debug-fs",
        "cmdline-debugfs",
        "kconfig-kprobes",
        "kconfig-kprobe-events",
        "kconfig-ftrace",
    ] {
        let f = finding(&v, id);
        assert_eq!(f["status"], "fail", "{id}");
        assert_eq!(
            f["readiness"]["verdict"], "ready",
            "{id}: {}",
            f["readiness"]
        );
        assert!(
            !f["readiness"]["examined"].as_array().unwrap().is_empty(),
            "{id}"
        );
    }
    // A generated rule without entries still says so, never ready.
    let io = &finding(&v, "kconfig-io-uring");
    assert_eq!(io["status"], "fail");
    assert_eq!(io["readiness"]["verdict"], "unknown");
    assert!(io["readiness"].to_string().contains(no_probe));
}

/// docs/readiness.md describes every blocker kind (and no rule names a kind it does not).
#[test]
fn every_kind_is_documented() {
    use strum::IntoEnumIterator;
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/readiness.md"),
    )
    .unwrap();
    for k in K::iter() {
        assert!(
            doc.contains(&format!("| `{}` |", k.as_str())),
            "{} not in docs/readiness.md",
            k.as_str()
        );
    }
}

/// `[[rule.readiness]]` is held to its form when a policy is loaded: a blocker kind kharden
/// does not know, an empty or multi-line text, a kind named twice are problems with their place
/// (exit 2); a valid entry shows in `explain`.
#[test]
fn readiness_entries_are_checked_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |readiness: &str| {
        format!(
            "[[rule]]\nid = \"my-rule\"\ntitle = \"t\"\narea = \"a\"\nseverity = \"low\"\n\
             rationale = \"r\"\nbreaks = \"b\"\n\n[rule.check]\nsysctl = \"kernel.x\"\nis = \"1\"\n\n{readiness}"
        )
    };
    let run = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        kharden(["explain", "my-rule", "--policy", p.to_str().unwrap()])
    };
    let ok = run(
        "ok.toml",
        &rule("[[rule.readiness]]\nblocker = \"dev-mem-user\"\nconsequence = \"refused\"\nway_out = \"use sysfs\"\n"),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout
            .contains("  dev-mem-user: refused\n    way out: use sysfs\n"),
        "{}",
        ok.stdout
    );

    let bad = run(
        "bad.toml",
        &rule("[[rule.readiness]]\nblocker = \"dev-mem\"\nconsequence = \"x\"\nway_out = \"y\"\n"),
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("bad.toml:") && bad.stderr.contains("dev-mem-user"),
        "{}",
        bad.stderr
    );

    let twice = run(
        "twice.toml",
        &rule(
            "[[rule.readiness]]\nblocker = \"kcore-reader\"\nconsequence = \"x\"\nway_out = \"y\"\n\n\
             [[rule.readiness]]\nblocker = \"kcore-reader\"\nconsequence = \"\"\nway_out = \"two\\nlines\"\n",
        ),
    );
    assert_eq!(twice.code, 2);
    for said in [
        "readiness names blocker \"kcore-reader\" twice",
        "readiness consequence is empty",
        "readiness way_out must be one line without control characters",
    ] {
        assert!(
            twice.stderr.contains(said),
            "{said:?} not in {}",
            twice.stderr
        );
    }
}
