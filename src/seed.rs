//! `seed`: generate an instance's host keys before it exists, so the first
//! connection needs no console output (DESIGN.md, trust rule 1a).
//!
//! The private keys go into the instance's user-data — as cloud-config
//! `ssh_keys:` or a shell script — or, with `--s3`, into a private S3 object
//! that the user-data fetches once through a presigned URL that expires in
//! minutes (anyone on the instance can read user-data later; by then the URL
//! is dead and the object deleted). The public keys stay in the local seed
//! store, bound to one instance id at first use (tag `ec2-hostkey:seed=ID`,
//! or `seed bind`); a record bound to one instance never vouches for another.
//!
//! Store: `$XDG_DATA_HOME/ec2-hostkey/seeds` (usually
//! `~/.local/share/ec2-hostkey/seeds`), 0700, one 0600 JSON file per seed.

use std::fs;
use std::io::{IsTerminal, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use ssh_key::{Algorithm, EcdsaCurve, LineEnding, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::cli::{Global, SeedAction, SeedArgs, SeedFormat, SeedGenArgs, SeedKeyType};
use crate::known_hosts::KeyText;

/// The instance tag that links an instance to its seed record.
pub const SEED_TAG: &str = "ec2-hostkey:seed";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedRecord {
    pub id: String,
    /// `algorithm base64` public keys.
    pub keys: Vec<String>,
    pub created_at: u64,
    /// The instance this seed belongs to, once known.
    pub instance: Option<String>,
    pub s3: Option<S3Object>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    pub deleted: bool,
}

impl SeedRecord {
    pub fn public_keys(&self) -> Option<Vec<PublicKey>> {
        self.keys
            .iter()
            .map(|k| PublicKey::from_openssh(k).ok())
            .collect()
    }
}

pub struct SeedStore {
    dir: PathBuf,
}

impl SeedStore {
    /// `~/.local/share/ec2-hostkey/seeds` (or under `$XDG_DATA_HOME`).
    pub fn default_dir() -> Option<PathBuf> {
        Some(dirs::data_dir()?.join("ec2-hostkey/seeds"))
    }

    /// The store, created 0700 if missing.
    ///
    /// # Errors
    /// It cannot be created, or is group/world-writable (then it is not trusted).
    pub fn open() -> Result<SeedStore> {
        let dir = SeedStore::default_dir()
            .context("cannot find your data directory (set HOME or XDG_DATA_HOME)")?;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create the seed store {}", dir.display()))?;
        if crate::files::writable_by_others(&fs::metadata(&dir)?) {
            bail!(
                "the seed store {} is group- or world-writable, so its records cannot be trusted; chmod 700 it",
                dir.display()
            );
        }
        Ok(SeedStore { dir })
    }

    pub fn get(&self, id: &str) -> Option<SeedRecord> {
        let bytes = fs::read(self.path(id)).ok()?;
        let record: SeedRecord = serde_json::from_slice(&bytes).ok()?;
        (record.id == id).then_some(record)
    }

    pub fn put(&self, record: &SeedRecord) -> Result<()> {
        let path = self.path(&record.id);
        let mut temp = tempfile::Builder::new()
            .prefix(".seed")
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)?;
        temp.write_all(&serde_json::to_vec_pretty(record)?)?;
        temp.as_file().sync_all()?;
        temp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    pub fn all(&self) -> Vec<SeedRecord> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                self.get(name.strip_suffix(".json")?)
            })
            .collect()
    }

    fn path(&self, id: &str) -> PathBuf {
        let safe: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.dir.join(format!("{safe}.json"))
    }

    /// The record `seed bind` tied to `instance`.
    pub fn bound_to(&self, instance: &str) -> Option<SeedRecord> {
        self.all()
            .into_iter()
            .find(|r| r.instance.as_deref() == Some(instance) && r.public_keys().is_some())
    }

    /// The seeded keys for `instance` if its seed tag names a record that is
    /// bound to it — or unbound, in which case it is bound now, for good.
    pub fn trusted_for(&self, instance: &str, seed_id: &str) -> Option<SeedRecord> {
        let mut record = self.get(seed_id)?;
        match record.instance.as_deref() {
            Some(bound) if bound == instance => {}
            Some(other) => {
                eprintln!(
                    "ec2-hostkey: warning: seed {seed_id} is bound to {other}, not {instance}; ignoring it for {instance}"
                );
                return None;
            }
            None => {
                record.instance = Some(instance.to_string());
                self.put(&record).ok()?;
            }
        }
        record.public_keys()?;
        Some(record)
    }
}

pub fn run(global: &Global, args: &SeedArgs) -> Result<()> {
    match &args.action {
        Some(SeedAction::Bind { id, instance }) => bind(global, id, instance),
        Some(SeedAction::Cleanup) => cleanup(global),
        None => generate(global, &args.generate),
    }
}

fn generate(global: &Global, args: &SeedGenArgs) -> Result<()> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    if to_terminal && args.s3.is_none() {
        bail!(
            "refusing to print private host keys to a terminal; write them to a file (--output user-data.txt or > file) or use --s3"
        );
    }
    // Refuse an untrustworthy store before any key exists or leaves the machine.
    let store = SeedStore::open()?;
    let id = new_id();
    let types = if args.key_type.is_empty() {
        vec![SeedKeyType::Ed25519]
    } else {
        args.key_type.clone()
    };
    let keys: Vec<PrivateKey> = types
        .iter()
        .map(|t| generate_key(*t, &id))
        .collect::<Result<_>>()?;

    let mut s3 = None;
    let user_data = match &args.s3 {
        Some(url) => {
            let (bucket, key) = parse_s3_url(url, &id)?;
            let bundle = render_script(&keys, &id)?;
            let presigned = crate::verify::block_on(crate::s3::upload_and_presign(
                global,
                &bucket,
                &key,
                bundle.as_bytes(),
                args.expires,
            ))?;
            s3 = Some(S3Object {
                bucket,
                key,
                deleted: false,
            });
            Zeroizing::new(render_fetch_script(&presigned, &id))
        }
        None => match args.format {
            SeedFormat::CloudConfig => render_cloud_config(&keys, &id)?,
            SeedFormat::Script => render_script(&keys, &id)?,
        },
    };

    let record = SeedRecord {
        id: id.clone(),
        keys: keys
            .iter()
            .map(|k| KeyText::of(k.public_key()).to_string())
            .collect(),
        created_at: crate::cache::now(),
        instance: None,
        s3,
    };
    store.put(&record)?;
    match &args.output {
        Some(path) => write_private(path, user_data.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(user_data.as_bytes())?;
            out.flush()?;
        }
    }
    if !global.quiet {
        eprintln!(
            "ec2-hostkey: seed {id}: {} host key(s) generated; public keys kept in the seed store",
            keys.len()
        );
        eprintln!("ec2-hostkey: launch with --user-data file://… and:");
        eprintln!(
            "  --tag-specifications 'ResourceType=instance,Tags=[{{Key={SEED_TAG},Value={id}}}]'"
        );
        eprintln!("ec2-hostkey: or link it afterwards: ec2-hostkey seed bind {id} INSTANCE-ID");
    }
    Ok(())
}

fn bind(global: &Global, id: &str, instance: &str) -> Result<()> {
    let store = SeedStore::open()?;
    let mut record = store
        .get(id)
        .with_context(|| format!("no seed {id} in the seed store"))?;
    if let Some(bound) = &record.instance
        && bound != instance
    {
        bail!("seed {id} is already bound to {bound}; a seed vouches for one instance only");
    }
    record.instance = Some(instance.to_string());
    store.put(&record)?;
    if !global.quiet {
        eprintln!("ec2-hostkey: seed {id} bound to {instance}");
    }
    Ok(())
}

fn cleanup(global: &Global) -> Result<()> {
    let store = SeedStore::open()?;
    let pending: Vec<SeedRecord> = store
        .all()
        .into_iter()
        .filter(|r| r.s3.as_ref().is_some_and(|o| !o.deleted))
        .collect();
    for mut record in pending {
        delete_s3_object(global, &store, &mut record)?;
    }
    Ok(())
}

/// Deletes a seed's private-key object and records that it is gone.
pub fn delete_s3_object(global: &Global, store: &SeedStore, record: &mut SeedRecord) -> Result<()> {
    let Some(object) = record.s3.as_mut().filter(|o| !o.deleted) else {
        return Ok(());
    };
    crate::verify::block_on(crate::s3::delete(global, &object.bucket, &object.key))?;
    object.deleted = true;
    if !global.quiet {
        eprintln!(
            "ec2-hostkey: deleted s3://{}/{} (seed {}'s private keys)",
            object.bucket, object.key, record.id
        );
    }
    store.put(record)
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    ssh_key::rand_core::RngCore::fill_bytes(&mut ssh_key::rand_core::OsRng, &mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("s-{hex}")
}

fn generate_key(key_type: SeedKeyType, id: &str) -> Result<PrivateKey> {
    let algorithm = match key_type {
        SeedKeyType::Ed25519 => Algorithm::Ed25519,
        SeedKeyType::Ecdsa => Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
        SeedKeyType::Rsa => Algorithm::Rsa { hash: None },
    };
    let mut key = match key_type {
        SeedKeyType::Rsa => {
            let keypair =
                ssh_key::private::RsaKeypair::random(&mut ssh_key::rand_core::OsRng, 3072)?;
            PrivateKey::from(keypair)
        }
        _ => PrivateKey::random(&mut ssh_key::rand_core::OsRng, algorithm)?,
    };
    key.set_comment(format!("ec2-hostkey-seed-{id}"));
    Ok(key)
}

/// cloud-init's name for a key type in `ssh_keys:`.
fn cloud_init_name(key: &PrivateKey) -> &'static str {
    match key.algorithm() {
        Algorithm::Ed25519 => "ed25519",
        Algorithm::Ecdsa { .. } => "ecdsa",
        _ => "rsa",
    }
}

fn render_cloud_config(keys: &[PrivateKey], id: &str) -> Result<Zeroizing<String>> {
    let mut out = Zeroizing::new(format!(
        "#cloud-config\n# ec2-hostkey seed {id}: host keys, verified by `ec2-hostkey` before the first connection.\nssh_deletekeys: true\nssh_keys:\n"
    ));
    for key in keys {
        let name = cloud_init_name(key);
        let pem = key.to_openssh(LineEnding::LF)?;
        out.push_str(&format!("  {name}_private: |\n"));
        for line in pem.lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "  {name}_public: {}\n",
            KeyText::of(key.public_key())
        ));
    }
    Ok(out)
}

/// A shell script that installs the keys and restarts sshd.
fn render_script(keys: &[PrivateKey], id: &str) -> Result<Zeroizing<String>> {
    let mut out = Zeroizing::new(format!(
        "#!/bin/sh\n# ec2-hostkey seed {id}: install host keys, verified by `ec2-hostkey` before the first connection.\nset -eu\numask 077\nrm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub\n"
    ));
    for key in keys {
        let name = cloud_init_name(key);
        let pem = key.to_openssh(LineEnding::LF)?;
        out.push_str(&format!(
            "cat > /etc/ssh/ssh_host_{name}_key <<'EOF_KEY'\n{}EOF_KEY\n",
            pem.as_str()
        ));
        out.push_str(&format!(
            "echo '{}' > /etc/ssh/ssh_host_{name}_key.pub\n",
            KeyText::of(key.public_key())
        ));
    }
    out.push_str("systemctl restart ssh 2>/dev/null || systemctl restart sshd 2>/dev/null || service ssh restart 2>/dev/null || true\n");
    Ok(out)
}

/// User-data that fetches the key script once through a presigned URL.
fn render_fetch_script(url: &str, id: &str) -> String {
    format!(
        "#!/bin/sh\n# ec2-hostkey seed {id}: fetch host keys once; the URL expires within minutes and the object is deleted after first use.\nset -eu\nurl='{url}'\nscript=$(curl -fsS --retry 5 \"$url\" || wget -qO- \"$url\")\nprintf '%s\\n' \"$script\" | sh\n"
    )
}

fn parse_s3_url(url: &str, id: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .with_context(|| format!("--s3 takes s3://bucket/prefix, not {url:?}"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("--s3 takes s3://bucket/prefix, not {url:?}");
    }
    let prefix = prefix.trim_matches('/');
    let key = if prefix.is_empty() {
        format!("{id}.sh")
    } else {
        format!("{prefix}/{id}.sh")
    };
    Ok((bucket.to_string(), key))
}

fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(data)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_config_carries_every_key_as_cloud_init_expects() {
        let keys = vec![
            generate_key(SeedKeyType::Ed25519, "s-1").unwrap(),
            generate_key(SeedKeyType::Ecdsa, "s-1").unwrap(),
        ];
        let text = render_cloud_config(&keys, "s-1").unwrap();
        assert!(text.starts_with("#cloud-config\n"));
        assert!(text.contains("  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assert!(text.contains(&format!(
            "  ecdsa_public: {}\n",
            KeyText::of(keys[1].public_key())
        )));
    }

    #[test]
    fn s3_urls_name_bucket_and_key() {
        assert_eq!(
            parse_s3_url("s3://b/p/q/", "s-1").unwrap(),
            ("b".into(), "p/q/s-1.sh".into())
        );
        assert_eq!(
            parse_s3_url("s3://b", "s-1").unwrap(),
            ("b".into(), "s-1.sh".into())
        );
        assert!(parse_s3_url("https://b", "s-1").is_err());
    }
}
