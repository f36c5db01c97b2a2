//! The host certificate authority's key: an ed25519 private key in a file
//! only its owner may read or write (the tool's data directory by default),
//! created once by `ca init` and read by `certify`. Whoever holds it can
//! make every client that trusts its `@cert-authority` line accept any key
//! for the fleet's names (SECURITY.md, "Host certificates").

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

/// Where the CA key lives unless `--ca` says otherwise.
pub fn default_path() -> Option<PathBuf> {
    Some(dirs::data_dir()?.join("ec2-hostkey/host_ca"))
}

/// Makes a new CA key at `path` (and `path.pub`), refusing to replace one.
///
/// # Errors
/// One exists already, or the file cannot be written.
pub fn create(path: &Path) -> Result<PrivateKey> {
    if path.exists() {
        bail!(
            "{} exists: a new CA would orphan every certificate it signed; remove it first if you mean to",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Some(above) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(above)
                .with_context(|| format!("cannot create {}", above.display()))?;
        }
        super::files::create_private_dir(dir)?;
    }
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .context("cannot make a key")?;
    key.set_comment("ec2-hostkey host CA");
    let pem = key
        .to_openssh(LineEnding::LF)
        .context("cannot encode the key")?;
    super::files::write_private(path, pem.as_bytes())?;
    let public = key
        .public_key()
        .to_openssh()
        .context("cannot encode the key")?;
    std::fs::write(public_path(path), format!("{public}\n"))
        .with_context(|| format!("cannot write {}", public_path(path).display()))?;
    Ok(key)
}

/// The CA key at `path`, which must be its owner's alone (group and others
/// may neither read nor write it) and not encrypted.
///
/// # Errors
/// Missing, readable or writable by others, encrypted, or not a key.
pub fn load(path: &Path) -> Result<PrivateKey> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| {
        format!(
            "cannot read the CA key {} (make one with `ec2-hostkey ca init`)",
            path.display()
        )
    })?;
    super::files::private_file(path)
        .map_err(|problem| anyhow::anyhow!("the CA key {}: {problem}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the CA key {} has mode {mode:o}: others may read it; chmod 600 it (and ask who did)",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = PrivateKey::from_openssh(text.trim())
        .with_context(|| format!("{} is not an OpenSSH private key", path.display()))?;
    if key.is_encrypted() {
        bail!(
            "the CA key {} is encrypted; certify signs unattended, so keep it unencrypted in a file only you can read",
            path.display()
        );
    }
    Ok(key)
}

/// The public half, read from the private key.
///
/// # Errors
/// As [`load`].
pub fn public(path: &Path) -> Result<PublicKey> {
    Ok(load(path)?.public_key().clone())
}

fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}
