//! What the local OpenSSH client says about itself: its configuration for a
//! host as `ssh -G` resolves it, and its version (`ssh -V`).

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
