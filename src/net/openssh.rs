//! What the local OpenSSH client says about itself: its configuration for a
//! host as `ssh -G` resolves it, and its version (`ssh -V`); and the keys
//! ssh-agent holds (`ssh-add -L`), with signing by one of them through
//! `ssh-keygen -U` (a CA key that never leaves the agent).

use std::path::Path;
use std::process::{Command, Stdio};

/// `ssh -G`'s answer for one host: every option, lowercased keys.
#[derive(Debug)]
pub struct ResolvedConfig {
    text: String,
}

/// Why `ssh -G` gave no answer.
#[derive(Debug)]
pub enum ConfigError {
    /// No `ssh` could be run.
    NoSsh,
    /// ssh ran and refused the configuration (its stderr).
    Rejected(String),
}

impl ResolvedConfig {
    /// The value of `key` (any case), if ssh printed it.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.text.lines().find_map(|line| {
            let (k, v) = line.split_once(' ')?;
            k.eq_ignore_ascii_case(key).then_some(v)
        })
    }
}

/// `ssh -G [-F config] -- host`.
///
/// # Errors
/// ssh cannot be run, or it rejects the configuration.
pub fn resolved_config(config: Option<&Path>, host: &str) -> Result<ResolvedConfig, ConfigError> {
    let mut command = Command::new("ssh");
    if let Some(config) = config {
        command.arg("-F").arg(config);
    }
    let output = command
        .args(["-G", "--", host])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|_| ConfigError::NoSsh)?;
    if !output.status.success() {
        return Err(ConfigError::Rejected(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(ResolvedConfig {
        text: String::from_utf8_lossy(&output.stdout).into_owned(),
    })
}

/// Whether the user's ssh configuration asks for hashed known_hosts entries
/// for `host` (`HashKnownHosts`, as `ssh -G` resolves it; Debian's default is yes).
pub fn hashes_known_hosts(host: &str) -> bool {
    resolved_config(None, host)
        .ok()
        .and_then(|c| c.option("hashknownhosts").map(|v| v == "yes"))
        .unwrap_or(false)
}

/// The client's version banner (`OpenSSH_9.2p1 Debian-2, OpenSSL …`), if `ssh` runs.
pub fn version_banner() -> Option<String> {
    let output = Command::new("ssh")
        .arg("-V")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stderr).trim().to_string())
}

/// `OpenSSH_9.2p1` → (9, 2).
pub fn openssh_version(banner: &str) -> Option<(u32, u32)> {
    let rest = banner.strip_prefix("OpenSSH_")?;
    let (major, rest) = rest.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The public keys ssh-agent holds (`ssh-add -L`); empty when there is no
/// agent or it holds none.
pub fn agent_keys() -> Vec<ssh_key::PublicKey> {
    let Ok(out) = std::process::Command::new("ssh-add")
        .arg("-L")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| ssh_key::PublicKey::from_openssh(l.trim()).ok())
        .collect()
}

/// What a host certificate says, for signing through the agent.
pub struct HostCertificate<'a> {
    pub key: &'a ssh_key::PublicKey,
    pub key_id: &'a str,
    pub principals: &'a [String],
    pub serial: u64,
    pub valid_after: u64,
    pub valid_before: u64,
}

/// Signs a host certificate with `ca`, a key ssh-agent holds, as
/// `ssh-keygen -s CA.pub -U` does it.
///
/// # Errors
/// ssh-keygen is missing, the agent does not hold `ca`, or it refused.
pub fn sign_with_agent(
    ca: &ssh_key::PublicKey,
    cert: &HostCertificate<'_>,
) -> anyhow::Result<ssh_key::Certificate> {
    use anyhow::Context;
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let ca_pub = dir.path().join("ca.pub");
    let host_pub = dir.path().join("host.pub");
    let line = |key: &ssh_key::PublicKey| -> anyhow::Result<String> {
        let mut key = key.clone();
        key.set_comment("");
        Ok(format!("{}\n", key.to_openssh()?))
    };
    std::fs::write(&ca_pub, line(ca)?)?;
    std::fs::write(&host_pub, line(cert.key)?)?;
    let validity = format!(
        "{}:{}",
        utc_stamp(cert.valid_after),
        utc_stamp(cert.valid_before)
    );
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-U", "-h", "-s"])
        .arg(&ca_pub)
        .args(["-I", cert.key_id, "-n", &cert.principals.join(",")])
        .args(["-z", &cert.serial.to_string(), "-V", &validity])
        .arg(&host_pub)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run ssh-keygen to sign through ssh-agent")?;
    if !out.status.success() {
        anyhow::bail!(
            "ssh-keygen could not sign with the CA key in ssh-agent ({}); is the agent running (SSH_AUTH_SOCK) and does it hold the CA key?",
            crate::text::sanitize(String::from_utf8_lossy(&out.stderr).trim())
        );
    }
    let text = std::fs::read_to_string(dir.path().join("host-cert.pub"))
        .context("ssh-keygen wrote no certificate")?;
    let signed = ssh_key::Certificate::from_openssh(text.trim())
        .context("ssh-keygen wrote an unreadable certificate")?;
    // What came back is what was asked for, signed by the CA asked for.
    let as_asked = signed.signature_key() == ca.key_data()
        && signed.verify_signature().is_ok()
        && signed.public_key() == cert.key.key_data()
        && signed.serial() == cert.serial
        && signed.key_id() == cert.key_id
        && signed.valid_principals() == cert.principals
        && signed.cert_type() == ssh_key::certificate::CertType::Host;
    if !as_asked {
        anyhow::bail!(
            "ssh-keygen returned a certificate other than the one asked for; nothing signed"
        );
    }
    Ok(signed)
}

/// `YYYYMMDDHHMMSS` in UTC, as `ssh-keygen -V` takes an absolute time
/// (with a trailing `Z`).
fn utc_stamp(seconds: u64) -> String {
    let text = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds.min(253_402_300_799)),
    )
    .to_string();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    format!("{digits}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openssh_versions() {
        assert_eq!(openssh_version("OpenSSH_9.2p1"), Some((9, 2)));
        assert_eq!(openssh_version("OpenSSH_8.4"), Some((8, 4)));
        assert_eq!(openssh_version("OpenSSH_10.0p2"), Some((10, 0)));
        assert_eq!(openssh_version("Dropbear"), None);
    }
}
