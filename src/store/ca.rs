//! The host certificate authority's key: an ed25519 private key in a file
//! only its owner may read or write (the tool's data directory by default),
//! created once by `ca init` and read by `certify`. Whoever holds it can
//! make every client that trusts its `@cert-authority` line accept any key
//! for the fleet's names (SECURITY.md, "Host certificates").

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

/// The first line of a CA file whose private key ssh-agent holds (`ca init
/// --agent`): the file then names the key, and signing goes through the agent.
const AGENT_MARK: &str = "# ec2-hostkey host CA: the private key is held by ssh-agent";

/// The host CA: a private key in a file, or a key ssh-agent holds (a
/// hardware token's, say), named by its public half.
pub enum Authority {
    Key(Box<PrivateKey>),
    Agent(PublicKey),
}

impl Authority {
    pub fn public_key(&self) -> &PublicKey {
        match self {
            Authority::Key(key) => key.public_key(),
            Authority::Agent(key) => key,
        }
    }
}

/// Records at `path` that the CA is `key`, held by ssh-agent; refuses to
/// replace an existing CA.
///
/// # Errors
/// One exists already, or the file cannot be written.
pub fn create_agent(path: &Path, key: &PublicKey) -> Result<()> {
    make_room(path)?;
    let line = super::known_hosts::key_line(key);
    write_new(path, format!("{AGENT_MARK}\n{line}\n").as_bytes())?;
    super::files::write_private(&public_path(path), format!("{line}\n").as_bytes())?;
    Ok(())
}

/// Refuses to replace a CA at `path` (a new one would orphan every
/// certificate the old one signed), and makes its private directory.
fn make_room(path: &Path) -> Result<()> {
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
    Ok(())
}

/// Where the CA key lives unless `--ca` says otherwise.
pub fn default_path() -> Option<PathBuf> {
    Some(dirs::data_dir()?.join("ec2-hostkey/host_ca"))
}

/// Makes a new CA key at `path` (and `path.pub`), refusing to replace one.
///
/// # Errors
/// One exists already, or the file cannot be written.
pub fn create(path: &Path) -> Result<PrivateKey> {
    make_room(path)?;
    let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
        .context("cannot make a key")?;
    key.set_comment("ec2-hostkey host CA");
    let pem = key
        .to_openssh(LineEnding::LF)
        .context("cannot encode the key")?;
    write_new(path, pem.as_bytes())?;
    let public = key
        .public_key()
        .to_openssh()
        .context("cannot encode the key")?;
    super::files::write_private(&public_path(path), format!("{public}\n").as_bytes())?;
    Ok(key)
}

/// Writes a new 0600 file at `path` whole, failing if anything is there by
/// then (two `ca init` at once: one wins, the other says so).
fn write_new(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".ec2-hostkey-ca")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    temp.write_all(data)?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot write {}: {} (another ca init made it meanwhile?)",
            path.display(),
            e.error
        )
    })?;
    Ok(())
}

/// The CA key at `path`, which must be its owner's alone (group and others
/// may neither read nor write it) and not encrypted.
///
/// # Errors
/// Missing, readable or writable by others, encrypted, or not a key.
pub fn load(path: &Path) -> Result<Authority> {
    use std::os::unix::fs::PermissionsExt;
    // Opened without following a symlink, the file and every directory
    // above it the user's or root's and writable by no one else.
    let bytes = super::files::read_trusted(path).map_err(|problem| {
        anyhow::anyhow!(
            "the CA key {}: {problem} (make one with `ec2-hostkey ca init`)",
            path.display()
        )
    })?;
    let mode = std::fs::symlink_metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the CA key {} has mode {mode:o}: others may read it; chmod 600 it (and ask who did)",
            path.display()
        );
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not an OpenSSH private key", path.display()))?;
    if let Some(rest) = text.strip_prefix(AGENT_MARK) {
        let key = PublicKey::from_openssh(rest.trim())
            .with_context(|| format!("{} names no public key", path.display()))?;
        return Ok(Authority::Agent(key));
    }
    let key = PrivateKey::from_openssh(text.trim())
        .with_context(|| format!("{} is not an OpenSSH private key", path.display()))?;
    if key.is_encrypted() {
        bail!(
            "the CA key {} is encrypted; certify signs unattended, so keep it unencrypted in a file only you can read",
            path.display()
        );
    }
    Ok(Authority::Key(Box::new(key)))
}

/// One certificate signed: enough to revoke its key later (`ca revoke ID`)
/// even when known_hosts never held it.
pub struct Issued {
    pub instance: String,
    pub serial: u64,
    pub valid_before: u64,
    pub key: PublicKey,
}

impl Issued {
    /// The log entry for `cert`, issued to `instance` (an instance id, or
    /// `seed:ID`).
    pub fn of(instance: &str, cert: &ssh_key::Certificate) -> Issued {
        Issued {
            instance: instance.to_string(),
            serial: cert.serial(),
            valid_before: cert.valid_before(),
            key: PublicKey::new(cert.public_key().clone(), ""),
        }
    }
}

/// The log of certificates signed with the CA at `ca`: `<ca>.issued`, a
/// private file, one line per certificate (instance, serial, valid before,
/// key), appended.
///
/// # Errors
/// It cannot be written.
pub fn record_issued(ca: &Path, issued: &[Issued]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = issued_path(ca);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut text = String::new();
    for one in issued {
        text.push_str(&format!(
            "{} {} {} {}\n",
            one.instance,
            one.serial,
            one.valid_before,
            super::known_hosts::key_line(&one.key)
        ));
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The keys certificates were issued for to `instance`, from the log.
pub fn issued_keys(ca: &Path, instance: &str) -> Vec<PublicKey> {
    let Ok(text) = std::fs::read_to_string(issued_path(ca)) else {
        return Vec::new();
    };
    let mut keys: Vec<PublicKey> = Vec::new();
    for line in text.lines() {
        let mut words = line.splitn(4, ' ');
        if words.next() != Some(instance) {
            continue;
        }
        if let Some(key) = words.nth(2).and_then(|k| PublicKey::from_openssh(k).ok())
            && !keys.iter().any(|k| k.key_data() == key.key_data())
        {
            keys.push(key);
        }
    }
    keys
}

fn issued_path(ca: &Path) -> PathBuf {
    let mut name = ca.as_os_str().to_owned();
    name.push(".issued");
    PathBuf::from(name)
}

/// The public half, read from the private key.
///
/// # Errors
/// As [`load`].
pub fn public(path: &Path) -> Result<PublicKey> {
    // A public key file (the CA's .pub, handed to the machines that only
    // trust it) will do: it must still be trusted, since whoever could
    // swap it would choose the CA every client believes in.
    if let Ok(bytes) = super::files::read_trusted(path)
        && let Ok(key) = PublicKey::from_openssh(String::from_utf8_lossy(&bytes).trim())
    {
        return Ok(key);
    }
    Ok(load(path)?.public_key().clone())
}

fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}
