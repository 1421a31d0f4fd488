//! An instance's sandbox: its writable directory, its default user, its
//! SSH server and the boot script that runs as PID 1 of its own PID,
//! mount and UTS namespaces inside its network namespace.
//!
//! ```text
//! DIR/                       (DATA_DIR/instances/i-…)
//!   etc/passwd group shadow  the host's, plus the default user; bound over /etc
//!   etc/hosts resolv.conf    the instance's name; the VPC's resolver address
//!   home/USER/.ssh/authorized_keys
//!   var/log/                 bound over /var/log (cloud-init-output.log)
//!   tmp/                     bound over /tmp
//!   layer/DIR/upper          the writable layer over the host's /etc, /root,
//!                            /var, /opt, /srv, /usr and /run (overlayfs);
//!                            the rest of / is the host's, read-only
//!   ssh/                     host keys (made at first boot), sshd_config
//!   user-data                the script first boot runs
//!   state/user-data-done     present once it ran
//!   console.log              what GetConsoleOutput shows
//!   boot.sh                  the init script of each boot
//! ```
//!
//! The directory itself is bound at [`INSIDE`] first. The binds are made inside the instance's mount namespace (private
//! propagation), so the host's own files never change.

use crate::userdata;
use gureum_ec2::compute::host::BootSpec;
use std::path::{Path, PathBuf};

/// Where the sandbox sees its own directory.
pub const INSIDE: &str = "/mnt";

/// The file (under the instance's directory) the sandbox's `shutdown`,
/// `poweroff`, `halt` and `reboot` leave before ending the init: `halt`
/// or `reboot`.
pub const SHUTDOWN_REQUEST: &str = "state/shutdown-request";

/// What replaces the OS's shutdown commands inside the sandbox: the
/// host's own would try to stop the host (or fail without systemd), so
/// these record what was asked and end the sandbox's init, whose end
/// Gureum notices ([`crate::worker`]) and turns into EC2's stop,
/// terminate or reboot.
const SHUTDOWN_COMMAND: &str = r#"#!/bin/sh
# Gureum: ends this instance's init; EC2 then applies the instance's
# InstanceInitiatedShutdownBehavior (or boots it again for a reboot).
name=$(basename "$0")
if [ "$(id -u)" != 0 ]; then
  echo "$name: must be run as root" >&2
  exit 1
fi
action=halt
[ "$name" = reboot ] && action=reboot
for a in "$@"; do
  case "$a" in
    -r|--reboot) action=reboot ;;
    -c) echo "$name: no shutdown is scheduled" >&2; exit 1 ;;
  esac
done
echo "$action" > /mnt/state/shutdown-request
kill -USR1 1
"#;

/// The default user's uid and gid as EC2's images have it, unless the
/// host's own users take it.
pub const USER_ID: u32 = 1000;

/// The first uid from [`USER_ID`] that the host's `/etc/passwd` and
/// `/etc/group` leave free (the sandbox adds to the host's lists).
fn free_id() -> u32 {
    let taken = |file: &str, id: u32| {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .any(|l| l.split(':').nth(2) == Some(id.to_string().as_str()))
    };
    (USER_ID..60_000)
        .find(|id| !taken("/etc/passwd", *id) && !taken("/etc/group", *id))
        .unwrap_or(USER_ID)
}

/// The default user of an image, by its name: `ubuntu` for Ubuntu,
/// `admin` for Debian, `ec2-user` otherwise (Amazon Linux, RHEL, SUSE).
pub fn default_user(image_name: &str) -> &'static str {
    let n = image_name.to_ascii_lowercase();
    if n.contains("ubuntu") {
        "ubuntu"
    } else if n.contains("debian") {
        "admin"
    } else {
        "ec2-user"
    }
}

/// Where the host's OpenSSH server is, if installed.
pub fn sshd() -> Option<PathBuf> {
    ["/usr/sbin/sshd", "/usr/bin/sshd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// The host's file with `line` appended (unless its name is already there).
fn with_entry(host_file: &str, name: &str, line: &str) -> String {
    let mut text = std::fs::read_to_string(host_file).unwrap_or_default();
    if !text.lines().any(|l| l.split(':').next() == Some(name)) {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Prepares `dir` for a boot of `spec`: the user, its key, the SSH server's
/// keys and configuration, the user data (first boot) and the boot script.
/// Returns the boot script's path.
pub fn prepare(dir: &Path, spec: &BootSpec, endpoint: &str) -> Result<PathBuf, String> {
    let user = default_user(&spec.image_name);
    let home = dir.join("home").join(user);
    for sub in ["var/log", "tmp", "ssh", "state", "etc"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
    }
    set_mode(&dir.join("tmp"), 0o1777);
    let id = free_id();
    write(
        &dir.join("etc/passwd"),
        &with_entry(
            "/etc/passwd",
            user,
            &format!("{user}:x:{id}:{id}:EC2 Default User:/home/{user}:/bin/bash"),
        ),
    )?;
    write(
        &dir.join("etc/group"),
        &with_entry("/etc/group", user, &format!("{user}:x:{id}:")),
    )?;
    write(
        &dir.join("etc/shadow"),
        &with_entry("/etc/shadow", user, &format!("{user}:*:19000:0:99999:7:::")),
    )?;
    set_mode(&dir.join("etc/shadow"), 0o640);
    // The Amazon-provided resolver at the VPC's `.2` (answered in the
    // router, [`crate::resolver`]), searching the region's internal
    // domain as EC2's DHCP options do; and the instance's own name.
    let resolver = crate::resolver::vpc_resolver_ip(&spec.vpc_cidr)
        .unwrap_or_else(|| crate::fabric::DNS_IP.to_string());
    let domain = spec
        .hostname
        .split_once('.')
        .map_or("ec2.internal", |(_, d)| d);
    write(
        &dir.join("etc/resolv.conf"),
        &format!("nameserver {resolver}\nsearch {domain}\noptions timeout:2 attempts:2\n"),
    )?;
    let short = spec.hostname.split('.').next().unwrap_or_default();
    write(
        &dir.join("etc/hosts"),
        &format!(
            "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n{} {} {short}\n",
            spec.private_ip, spec.hostname
        ),
    )?;
    // The key pair's public key, as cloud-init installs it; a shell that
    // reaches Gureum's API from inside the instance.
    let ssh_dir = home.join(".ssh");
    std::fs::create_dir_all(&ssh_dir).map_err(|e| e.to_string())?;
    let keys = spec
        .key
        .as_ref()
        .map(|(name, key)| format!("{} {name}\n", key.trim()))
        .unwrap_or_default();
    write(&ssh_dir.join("authorized_keys"), &keys)?;
    set_mode(&ssh_dir.join("authorized_keys"), 0o600);
    set_mode(&ssh_dir, 0o700);
    let profile = home.join(".bashrc");
    if !profile.exists() {
        write(
            &profile,
            &format!(
                "# Gureum's API, reachable inside the instance.\nexport AWS_ENDPOINT_URL={endpoint}\nexport AWS_DEFAULT_REGION={}\n",
                spec.region
            ),
        )?;
    }
    for p in [&home, &ssh_dir, &ssh_dir.join("authorized_keys"), &profile] {
        let _ = std::os::unix::fs::chown(p, Some(id), Some(id));
    }
    let host_key = dir.join("ssh/ssh_host_ed25519_key");
    if !host_key.exists() {
        // Made in-process: an `ssh-keygen` would cost a process per boot.
        let (private, public) =
            gureum_ec2::compute::key_pairs::new_ed25519_openssh(&format!("root@{}", spec.hostname));
        write(&host_key, &private)?;
        set_mode(&host_key, 0o600);
        write(
            &dir.join("ssh/ssh_host_ed25519_key.pub"),
            &format!("{public}\n"),
        )?;
    }
    write(
        &dir.join("ssh/sshd_config"),
        &format!(
            "Port 22\nListenAddress 0.0.0.0\nHostKey {INSIDE}/ssh/ssh_host_ed25519_key\nPidFile none\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n\
             StrictModes no\nAuthorizedKeysFile .ssh/authorized_keys\nPrintMotd no\n\
             Subsystem sftp internal-sftp\n"
        ),
    )?;
    // A request from the last boot was read when it ended.
    let _ = std::fs::remove_file(dir.join(SHUTDOWN_REQUEST));
    write(&dir.join("shutdown.sh"), SHUTDOWN_COMMAND)?;
    set_mode(&dir.join("shutdown.sh"), 0o755);
    let first_boot = !dir.join("state/user-data-done").exists();
    if first_boot {
        if let Some(data) = &spec.user_data {
            match userdata::to_script(data) {
                Some(script) => {
                    write(&dir.join("user-data"), &script)?;
                    set_mode(&dir.join("user-data"), 0o700);
                }
                None => {
                    let _ = std::fs::remove_file(dir.join("user-data"));
                }
            }
        }
    }
    let script = boot_script(dir, spec);
    let path = dir.join("boot.sh");
    write(&path, &script)?;
    Ok(path)
}

/// The init script: hostname, the binds and layers, the read-only root,
/// then (without the capabilities to undo any of it) the SSH server and
/// user data once; it stays as PID 1.
fn boot_script(dir: &Path, spec: &BootSpec) -> String {
    let d = userdata::quote(&dir.to_string_lossy());
    let sshd = sshd()
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default();
    format!(
        r#"#!/bin/sh
# The instance's directory is seen at /mnt from here on: binding over
# /tmp would hide a data directory under /tmp.
mount --bind {d} /mnt
D=/mnt
log() {{ echo "$*" >> "$D/console.log"; }}
# shutdown.sh ends this init, and with it every process of the instance.
trap 'log "gureum: shutting down"; exit 0' USR1
hostname {host}
# The host's root, read-only, under a writable layer of the instance's own
# (overlays of the directories software writes to; /etc first, the files
# bound below go over it).
layer() {{
  mkdir -p "$D/layer/$1/upper" "$D/layer/$1/work"
  mount -t overlay overlay -o "lowerdir=/$1,upperdir=$D/layer/$1/upper,workdir=$D/layer/$1/work" "/$1"
}}
layer etc
# What sshd needs, then sshd: the mounts after it apply to the whole
# namespace, its sessions included. What this script starts cannot mount,
# reconfigure the network, load modules or reach raw devices, even as
# root: the sandbox stays as made.
for f in passwd group shadow hosts resolv.conf; do mount --bind "$D/etc/$f" "/etc/$f"; done
mount --bind "$D/home" /home
mkdir -p /run/sshd
CAPS="setpriv --bounding-set {dropped} --"
if [ -n "{sshd}" ]; then
  $CAPS {sshd} -D -e -f "$D/ssh/sshd_config" 2>> "$D/var/log/sshd.log" &
fi
for d in root var opt srv usr run; do [ -d "/$d" ] && layer "$d"; done
# The OS's shutdown commands end this init instead (see shutdown.sh). Only
# inside the /usr layer: with a split /sbin, the host's own stay, unused.
if grep -q ' /usr overlay ' /proc/self/mounts; then
  for c in poweroff halt shutdown reboot; do
    for p in /usr/sbin/$c /usr/bin/$c; do
      if [ -e "$p" ] || [ -L "$p" ]; then rm -f "$p" && cp "$D/shutdown.sh" "$p"; fi
    done
  done
fi
mount --bind "$D/var/log" /var/log
mount --bind "$D/tmp" /tmp
mount -o remount,bind,ro /
log "cloud-init[1]: Cloud-init (Gureum) running 'init' on {host}"
if [ ! -e "$D/state/user-data-done" ]; then
  touch "$D/state/user-data-done"
  if [ -x "$D/user-data" ]; then
    log "cloud-init[1]: running user data"
    ln -sf "$D/console.log" /var/log/cloud-init-output.log
    (cd / && HOME=/root $CAPS "$D/user-data" >> "$D/console.log" 2>&1; log "cloud-init[1]: user data finished ($?)") &
  fi
fi
# PID 1 stays and reaps what is orphaned to it, until shutdown.sh asks it
# to end (the trap at the top).
while :; do wait; sleep 1; done
"#,
        host = spec.hostname,
        dropped = DROPPED_CAPABILITIES,
    )
}

/// The capabilities the instance's processes (its SSH server, user data
/// and everything they start) never get, root or not.
pub const DROPPED_CAPABILITIES: &str = "-sys_admin,-net_admin,-sys_module,-sys_rawio,-sys_boot,-sys_time,-sys_ptrace,-mknod,-bpf,-perfmon,-mac_admin,-syslog";

/// The tail of the console (AWS returns the last 64 KB).
pub fn console(dir: &Path) -> Option<String> {
    let text = std::fs::read(dir.join("console.log")).ok()?;
    let start = text.len().saturating_sub(64 * 1024);
    Some(String::from_utf8_lossy(&text[start..]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_user_follows_the_image_name() {
        assert_eq!(
            default_user("al2023-ami-2023.6.20241010.0-kernel-6.1-x86_64"),
            "ec2-user"
        );
        assert_eq!(
            default_user("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server"),
            "ubuntu"
        );
        assert_eq!(default_user("debian-12-amd64-20240717-1811"), "admin");
    }

    #[test]
    fn the_user_is_added_once_to_the_sandbox_passwd() {
        let dir = std::env::temp_dir().join(format!("gureum-sandbox-test-{}", std::process::id()));
        let spec = BootSpec {
            instance_id: "i-0123456789abcdef0".into(),
            hostname: "ip-10-0-1-5.ec2.internal".into(),
            key: Some(("k".into(), "ssh-ed25519 AAAAC3Nza".into())),
            region: "us-east-1".into(),
            ..Default::default()
        };
        // ssh-keygen may be missing on a build machine: the files before
        // it are what this checks.
        let _ = prepare(&dir, &spec, "http://169.254.169.254:4566");
        let _ = prepare(&dir, &spec, "http://169.254.169.254:4566");
        let passwd = std::fs::read_to_string(dir.join("etc/passwd")).expect("passwd");
        assert_eq!(
            passwd
                .lines()
                .filter(|l| l.starts_with("ec2-user:x:"))
                .count(),
            1
        );
        let keys =
            std::fs::read_to_string(dir.join("home/ec2-user/.ssh/authorized_keys")).expect("keys");
        assert_eq!(keys, "ssh-ed25519 AAAAC3Nza k\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
