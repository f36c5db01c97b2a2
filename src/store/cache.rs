//! The verified-key cache, so a host verified once costs no AWS call again.
//!
//! Two kinds of record, one small JSON file each, written atomically:
//! - `instances/<id>.json`: the keys verified for an instance. Instance ids
//!   are never reused, so these do not expire.
//! - `names/<sha256 of scope and name>.json`: which instance and address a
//!   name led to. Names and IPs are recycled, and mean different instances
//!   in different accounts, profiles, regions and endpoints, so these are
//!   kept per [`Scope`] and expire (`--cache-ttl`); and a name's record is
//!   used only together with the key the live server presents, which must be
//!   one of that instance's verified keys.
//!
//! The cache is a memo, never a source (SECURITY.md, trust rule 7).
//!
//! Location: `$XDG_CACHE_HOME/ec2-hostkey` (usually `~/.cache/ec2-hostkey`),
//! created 0700, files 0600. A directory that is not the user's own, or is
//! group- or world-writable, or a file that does not parse, is ignored,
//! never trusted.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssh_key::PublicKey;

use crate::store::known_hosts::KeyText;

/// Verified keys of one instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub id: String,
    /// `algorithm base64` lines.
    pub keys: Vec<String>,
    pub source: String,
    pub verified_at: u64,
    /// The account that owned it, as EC2 said (absent in older records):
    /// once that account is asked and knows it no more, it is gone.
    #[serde(default)]
    pub account: Option<String>,
}

impl InstanceRecord {
    pub fn new(id: &str, keys: &[PublicKey], source: &str) -> Self {
        InstanceRecord {
            id: id.to_string(),
            keys: keys.iter().map(|k| KeyText::of(k).to_string()).collect(),
            source: source.to_string(),
            verified_at: now(),
            account: None,
        }
    }

    /// The keys, parsed; a record with any unparseable key is not trusted at all.
    pub fn public_keys(&self) -> Option<Vec<PublicKey>> {
        self.keys
            .iter()
            .map(|k| PublicKey::from_openssh(k).ok())
            .collect()
    }

    pub fn vouches_for(&self, key: &PublicKey) -> bool {
        let wanted = KeyText::of(key).to_string();
        self.keys.contains(&wanted)
    }
}

/// Where a name led, and which names were recorded for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NameRecord {
    /// The lookup name (`host` or `[host]:port`).
    pub name: String,
    pub instance: String,
    pub address: String,
    /// Every name written to known_hosts for this connection.
    pub names: Vec<String>,
    pub resolved_at: u64,
    /// Which of the instance's addresses `address` is (absent in older records).
    #[serde(default)]
    pub side: Option<crate::aws::ec2::Side>,
    /// The AWS settings the name was resolved under ([`Scope`]).
    #[serde(default)]
    pub scope: String,
    /// The EIC Endpoint the connection went through (`--via eice`).
    #[serde(default)]
    pub tunnel: Option<TunnelRecord>,
    /// The account the instance belongs to, as EC2 said (absent in older records).
    #[serde(default)]
    pub account: Option<String>,
}

/// An EIC Endpoint a name was reached through: as the API described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelRecord {
    pub endpoint: String,
    /// The DNS name tunnels were opened to.
    pub host: String,
    pub region: String,
    /// The configured account the endpoint belongs to (`name (id)`), if any.
    #[serde(default)]
    pub account: Option<String>,
}

/// The AWS settings a name is resolved under: profile, region, endpoint and
/// the access key id given in the environment. Read from the flags and the
/// standard environment variables only, so the warm path builds no AWS
/// client; two invocations that could reach different accounts or regions
/// get different scopes, and one's name records never serve the other.
/// The configured accounts searched (`[[accounts]]`, narrowed by
/// `--account`) are part of it: a name means what it means among them.
pub fn scope(config: &crate::aws::Config, accounts: &[crate::aws::Config]) -> String {
    let mut scope = base_scope(config);
    for account in accounts {
        let Some(entry) = account.account.as_deref() else {
            continue;
        };
        let role = entry.role.as_ref();
        scope.push_str(&format!(
            " account={}:{}:{}:{}:{}:{}",
            entry.name,
            entry.id.as_deref().unwrap_or_default(),
            role.map(|r| r.arn.as_str()).unwrap_or_default(),
            role.and_then(|r| r.external_id.as_deref())
                .unwrap_or_default(),
            account.profile.as_deref().unwrap_or_default(),
            account.regions.join(",")
        ));
    }
    scope
}

fn base_scope(config: &crate::aws::Config) -> String {
    let (regions, profile) = (&config.regions, config.profile.as_deref());
    let profile = profile.map_or_else(|| first_set(&["AWS_PROFILE"]), str::to_string);
    let region = if regions.is_empty() {
        first_set(&["AWS_REGION", "AWS_DEFAULT_REGION"])
    } else {
        regions.join(",")
    };
    format!(
        "profile={} region={region} endpoint={} key={} config={}",
        if profile.is_empty() {
            "default"
        } else {
            &profile
        },
        first_set(&["AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"]),
        first_set(&["AWS_ACCESS_KEY_ID"]),
        first_set(&["AWS_CONFIG_FILE"])
    )
}

/// The value of the first of these environment variables that is set and not empty.
fn first_set(names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

#[derive(Clone)]
pub struct Cache {
    dir: PathBuf,
    ttl: Duration,
    scope: String,
}

impl Cache {
    /// The user's cache, with name records kept for `ttl` under `scope`
    /// ([`scope`] of the AWS settings in use); `None` when unusable.
    pub fn open(ttl: Duration, scope: String) -> Option<Cache> {
        let mut cache = Cache::open_at(Cache::default_dir()?, ttl)?;
        cache.scope = scope;
        Some(cache)
    }

    /// `~/.cache/ec2-hostkey` (or `$XDG_CACHE_HOME/ec2-hostkey`).
    pub fn default_dir() -> Option<PathBuf> {
        Some(dirs::cache_dir()?.join("ec2-hostkey"))
    }

    pub fn open_at(dir: PathBuf, ttl: Duration) -> Option<Cache> {
        for sub in ["", "instances", "names", "buckets", "roles"] {
            let path = dir.join(sub);
            if let Err(e) = fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&path)
            {
                tracing::debug!("cache disabled: cannot create {}: {e}", path.display());
                return None;
            }
        }
        if let Err(problem) = crate::store::files::private_dir(&dir) {
            crate::text::warn(
                false,
                &format!("ignoring the cache at {}: {problem}", dir.display()),
            );
            return None;
        }
        Some(Cache {
            dir,
            ttl,
            scope: String::new(),
        })
    }

    pub fn instance(&self, id: &str) -> Option<InstanceRecord> {
        let record: InstanceRecord = self.read(&self.instance_path(id))?;
        (record.id == id).then_some(record)
    }

    /// A name's record, if it is younger than the cache TTL.
    pub fn name(&self, name: &str) -> Option<NameRecord> {
        let record: NameRecord = self.read(&self.name_path(name))?;
        let fresh = now().saturating_sub(record.resolved_at) < self.ttl.as_secs();
        (record.name == name && record.scope == self.scope && fresh).then_some(record)
    }

    /// A name's record under this scope however old: which instance the
    /// name led to last (to tell that it moved), never where to connect.
    pub fn last_name(&self, name: &str) -> Option<NameRecord> {
        let record: NameRecord = self.read(&self.name_path(name))?;
        (record.name == name && record.scope == self.scope).then_some(record)
    }

    pub fn put_instance(&self, record: &InstanceRecord) {
        write_json(&self.instance_path(&record.id), record);
    }

    /// Stores a name's record under this cache's scope.
    pub fn put_name(&self, record: &NameRecord) {
        let record = NameRecord {
            scope: self.scope.clone(),
            ..record.clone()
        };
        write_json(&self.name_path(&record.name), &record);
    }

    /// The region S3 said a bucket lives in (a fact of the bucket, not
    /// of a scope: it changes only if the bucket is deleted and made anew).
    pub fn bucket_region(&self, bucket: &str) -> Option<String> {
        let region = fs::read_to_string(self.bucket_path(bucket)?).ok()?;
        let region = region.trim();
        (!region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| region.to_string())
    }

    pub fn put_bucket_region(&self, bucket: &str, region: &str) {
        if let Some(path) = self.bucket_path(bucket) {
            write_bytes(&path, region.as_bytes());
        }
    }

    /// Bucket names are lowercase letters, digits, `.` and `-`: nothing else
    /// becomes a path.
    fn bucket_path(&self, bucket: &str) -> Option<PathBuf> {
        let safe = !bucket.is_empty()
            && !bucket.starts_with('.')
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        safe.then(|| self.dir.join("buckets").join(bucket))
    }

    pub fn forget_name(&self, name: &str) {
        let _ = fs::remove_file(self.name_path(name));
    }

    /// Forgets the keys verified for an instance (after a re-key because
    /// its old keys leaked, they must not answer again).
    pub fn forget_instance(&self, id: &str) {
        let _ = fs::remove_file(self.instance_path(id));
    }

    fn instance_path(&self, id: &str) -> PathBuf {
        // Ids come from EC2 (`i-` + hex), but never trust them as path parts.
        let safe: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.dir.join("instances").join(format!("{safe}.json"))
    }

    fn name_path(&self, name: &str) -> PathBuf {
        let digest = Sha256::digest(format!("{}\n{name}", self.scope).as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("names").join(format!("{hex}.json"))
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, path: &Path) -> Option<T> {
        let bytes = fs::read(path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::debug!("ignoring corrupt cache file {}: {e}", path.display());
                None
            }
        }
    }
}

/// Assumed-role credentials, one private file per role and base
/// credentials (`roles/<key>.json`, 0600 in the cache's 0700 directory),
/// kept until they expire. A file that is not the user's own and private is
/// ignored (and replaced on the next assumption).
#[derive(Debug)]
pub struct RoleCache {
    /// The directory, made and checked on first use (a warm connection
    /// assumes no role and never touches it); `None` when unusable.
    dir: std::sync::OnceLock<Option<PathBuf>>,
}

impl RoleCache {
    /// The user's role cache; nothing is made or checked until it is used.
    pub fn open() -> RoleCache {
        RoleCache {
            dir: std::sync::OnceLock::new(),
        }
    }

    fn dir(&self) -> Option<&Path> {
        self.dir
            .get_or_init(|| {
                let cache = Cache::open_at(Cache::default_dir()?, Duration::ZERO)?;
                let dir = cache.dir.join("roles");
                if let Err(problem) = crate::store::files::private_dir(&dir) {
                    crate::text::warn(
                        false,
                        &format!(
                            "not keeping role credentials in {}: {problem}",
                            dir.display()
                        ),
                    );
                    return None;
                }
                Some(dir)
            })
            .as_deref()
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty() && key.bytes().all(|b| b.is_ascii_hexdigit());
        safe.then(|| self.dir().map(|dir| dir.join(format!("{key}.json"))))
            .flatten()
    }
}

impl crate::aws::role::RoleMemo for RoleCache {
    fn get(&self, key: &str) -> Option<crate::aws::role::Held> {
        let path = self.path(key)?;
        match crate::store::files::read_secret(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).ok(),
            Err(problem) => {
                tracing::debug!(
                    "ignoring cached role credentials {}: {problem}",
                    path.display()
                );
                None
            }
        }
    }

    fn put(&self, key: &str, held: &crate::aws::role::Held) {
        let Some(path) = self.path(key) else { return };
        write_json(&path, held);
        self.remove_expired();
    }
}

impl RoleCache {
    /// Credentials past their expiry are of no use to anyone: removed.
    fn remove_expired(&self) {
        let Some(Ok(entries)) = self.dir().map(fs::read_dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let expired = crate::store::files::read_secret(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<crate::aws::role::Held>(&b).ok())
                .is_some_and(|held| held.expires_at < now());
            if expired {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Best effort: a cache that cannot be written only costs speed. Private
/// (0600), written whole and renamed into place.
fn write_json<T: Serialize>(path: &Path, value: &T) {
    match serde_json::to_vec(value) {
        Ok(bytes) => write_bytes(path, &bytes),
        Err(e) => tracing::debug!("cannot encode cache file {}: {e}", path.display()),
    }
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    let result = (|| -> std::io::Result<()> {
        let dir = path.parent().expect("cache files live in a directory");
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp")
            .permissions(fs::Permissions::from_mode(0o600))
            .tempfile_in(dir)?;
        temp.write_all(bytes)?;
        temp.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::debug!("cannot write cache file {}: {e}", path.display());
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";

    #[test]
    fn round_trips_and_ignores_corrupt_files() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open_at(tmp.path().join("c"), Duration::from_secs(60)).unwrap();
        let key = PublicKey::from_openssh(ED).unwrap();
        cache.put_instance(&InstanceRecord::new(
            "i-12345678",
            std::slice::from_ref(&key),
            "console",
        ));
        let got = cache.instance("i-12345678").unwrap();
        assert!(got.vouches_for(&key));
        assert_eq!(got.public_keys().unwrap(), vec![key]);

        fs::write(cache.instance_path("i-12345678"), b"{not json").unwrap();
        assert!(cache.instance("i-12345678").is_none());
    }

    /// A fresh record: `web` led to i-12345678 at 10.0.0.1.
    fn web_record() -> NameRecord {
        NameRecord {
            name: "web".into(),
            instance: "i-12345678".into(),
            address: "10.0.0.1".into(),
            names: vec!["web".into()],
            resolved_at: now(),
            side: None,
            scope: String::new(),
            tunnel: None,
            account: None,
        }
    }

    #[test]
    fn expired_names_are_not_returned() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open_at(tmp.path().join("c"), Duration::from_secs(60)).unwrap();
        let mut record = web_record();
        cache.put_name(&record);
        assert!(cache.name("web").is_some());
        record.resolved_at = now() - 61;
        cache.put_name(&record);
        assert!(cache.name("web").is_none());
    }

    #[test]
    fn name_records_never_cross_scopes() {
        let tmp = tempfile::tempdir().unwrap();
        let mut prod = Cache::open_at(tmp.path().join("c"), Duration::from_secs(60)).unwrap();
        prod.scope = "profile=prod region=us-east-1 endpoint= key=".into();
        let mut dev = prod.clone();
        dev.scope = "profile=dev region=us-east-1 endpoint= key=".into();
        prod.put_name(&web_record());
        assert!(prod.name("web").is_some());
        assert!(dev.name("web").is_none());
    }

    #[test]
    fn world_writable_cache_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(Cache::open_at(dir, Duration::from_secs(60)).is_none());
    }
}
