//! The seed store: the public half of every seed `seed` generated, and which
//! instance each is bound to (SECURITY.md, trust rule 1b).
//!
//! `$XDG_DATA_HOME/ec2-hostkey/seeds` (usually `~/.local/share/ec2-hostkey/seeds`),
//! 0700, one 0600 JSON file per seed. A store that is not the user's own, or
//! that others may write to, is refused. A record bound to one instance never
//! vouches for another; binding happens under the store's lock.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssh_key::PublicKey;

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
    /// The account the bucket was checked to belong to at upload.
    #[serde(default)]
    pub owner: Option<String>,
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

    /// The store, if it exists (without creating it) and can be trusted.
    pub fn existing() -> Option<SeedStore> {
        SeedStore::default_dir()?
            .is_dir()
            .then(SeedStore::open)?
            .ok()
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
        if let Err(problem) = super::files::private_dir(&dir) {
            bail!(
                "the seed store {} cannot be trusted: {problem}",
                dir.display()
            );
        }
        Ok(SeedStore { dir })
    }

    /// An exclusive lock on the store, so that two first connections (or a
    /// connection and `seed bind`) bind a seed once.
    fn lock(&self) -> Result<fs::File> {
        let handle = fs::File::open(&self.dir)
            .with_context(|| format!("cannot open the seed store {}", self.dir.display()))?;
        handle
            .lock()
            .with_context(|| format!("cannot lock the seed store {}", self.dir.display()))?;
        Ok(handle)
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

    /// The record bound to `instance` (by `seed bind`, or a proof seen earlier).
    pub fn bound_to(&self, instance: &str) -> Option<SeedRecord> {
        self.all()
            .into_iter()
            .find(|r| r.instance.as_deref() == Some(instance) && r.public_keys().is_some())
    }

    /// Whether some seed is still waiting for its instance.
    pub fn has_unbound(&self) -> bool {
        self.all().iter().any(|r| r.instance.is_none())
    }

    /// Binds seed `seed_id` to `instance`, under the store's lock: once
    /// bound, a seed belongs to that instance only. The caller has proven
    /// the binding (`seed bind`, or the instance's own user-data).
    ///
    /// # Errors
    /// No such seed here, it is bound to another instance, or it cannot be written.
    pub fn bind(&self, seed_id: &str, instance: &str) -> Result<SeedRecord> {
        let _lock = self.lock()?;
        let mut record = self
            .get(seed_id)
            .with_context(|| format!("no seed {seed_id} in the local seed store"))?;
        match record.instance.as_deref() {
            Some(bound) if bound == instance => {}
            Some(other) => bail!(
                "seed {seed_id} is already bound to {other}; a seed vouches for one instance only"
            ),
            None => {
                record.instance = Some(instance.to_string());
                self.put(&record)?;
            }
        }
        record
            .public_keys()
            .context("the seed record holds a key that does not parse")?;
        Ok(record)
    }
}

/// `sha256:<base64, no padding>` of a seed's public keys: SHA-256 over their
/// `algorithm base64` forms (any comment dropped), sorted, joined by "\n".
/// Order-independent, so a record and the user-data it was printed in agree
/// however the keys are listed.
pub fn keys_digest(public_keys: &[String]) -> String {
    let mut lines: Vec<String> = public_keys
        .iter()
        .map(|k| {
            let mut fields = k.split_whitespace();
            match (fields.next(), fields.next()) {
                (Some(algorithm), Some(data)) => format!("{algorithm} {data}"),
                _ => k.trim().to_string(),
            }
        })
        .collect();
    lines.sort();
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    format!(
        "sha256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// `sha256:` followed by the unpadded base64 of 32 bytes.
pub fn is_keys_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|b64| {
        b64.len() == 43
            && base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(b64)
                .is_ok_and(|bytes| bytes.len() == 32)
    })
}
