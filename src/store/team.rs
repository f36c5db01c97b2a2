//! The team store on S3 (`--store s3://bucket/prefix`): one JSON record per
//! instance and key set, written create-only so nobody overwrites a record
//! (a re-key adds a new one), read back by colleagues and CI jobs.
//!
//! Records live at `<prefix>/<account>/<region>/<instance-id>/<digest>.json`,
//! the digest being that of the record's keys. Whoever can write the bucket
//! can vouch for keys (SECURITY.md, trust rule 1e): this module only reads
//! and writes records and rejects malformed ones; `trust::policy` decides
//! when a record may vouch.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssh_key::PublicKey;

use crate::aws::s3::{Bucket, Created};
use crate::error::AwsError;
use crate::store::cache::Cache;
use crate::store::seeds::keys_digest;

/// The record format this version writes and reads.
const FORMAT: u32 = 1;

/// The most records read for one instance (each is a key set: a re-key adds one).
const MAX_RECORDS: usize = 32;

/// Where the store is: `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUrl {
    pub bucket: String,
    /// Without leading or trailing slashes; may be empty.
    pub prefix: String,
    /// `--store-owner`: the account that must own the bucket; `None`: the
    /// caller's own.
    pub owner: Option<String>,
}

impl StoreUrl {
    /// # Errors
    /// Not `s3://bucket[/prefix]`, or the bucket name is not a valid one.
    pub fn parse(text: &str) -> Result<StoreUrl, String> {
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{text:?} is not an s3://bucket/prefix URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid {
            return Err(format!(
                "{bucket:?} is not an S3 bucket name (3-63 lowercase letters, digits, '-' and '.')"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == "..") || prefix.contains('\n') {
            return Err(format!("{prefix:?} is not a usable key prefix"));
        }
        Ok(StoreUrl {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            owner: None,
        })
    }

    /// The object key of `record`: its instance's prefix and the digest of its keys.
    pub fn key_for(&self, record: &Record) -> String {
        format!(
            "{}{}",
            self.instance_prefix(&record.account, &record.region, &record.instance_id),
            record.file_name()
        )
    }

    /// The key prefix under which an instance's records live.
    fn instance_prefix(&self, account: &str, region: &str, id: &str) -> String {
        let base = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        format!("{base}{account}/{region}/{id}/")
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// One verification, as published for the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format: u32,
    pub account: String,
    pub region: String,
    pub instance_id: String,
    /// `algorithm base64` lines, as in known_hosts.
    pub keys: Vec<String>,
    /// The source that vouched: `console`, `seed` or `ssm`.
    pub source: String,
    /// For the console: the SHA-256 of the block the keys were read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_block: Option<String>,
    /// RFC 3339, UTC.
    pub verified_at: String,
    /// The STS caller ARN of whoever verified.
    pub verified_by: String,
    /// Where S3 keeps it and when S3 says it was written: the facts that
    /// order records (`verified_at` and `verified_by` are the writer's claims).
    #[serde(skip)]
    pub stored: Option<Stored>,
}

/// What S3, not the writer, says of a record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stored {
    pub key: String,
    /// LastModified: seconds and nanoseconds since the epoch.
    pub modified: (i64, u32),
}

impl Stored {
    /// `s3 key K, written T (S3's LastModified)`, safe to print.
    pub fn describe(&self) -> String {
        let (secs, nanos) = self.modified;
        let when = u64::try_from(secs).map_or_else(
            |_| "before 1970".to_string(),
            // RFC 3339 ends with year 9999 (formatting past it would panic).
            |secs| {
                if secs > 253_402_300_799 {
                    "after 9999".to_string()
                } else {
                    humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos),
                    )
                    .to_string()
                }
            },
        );
        format!(
            "object {}, LastModified {when} (S3's)",
            crate::text::sanitize(&self.key)
        )
    }
}

impl Record {
    /// The record's keys; `None` if any line is not a public key.
    pub fn public_keys(&self) -> Option<Vec<PublicKey>> {
        self.keys
            .iter()
            .map(|line| PublicKey::from_openssh(line).ok())
            .collect()
    }

    /// What the record claims (who verified, when) beside what S3 says of
    /// it (its object and LastModified), safe to print.
    pub fn verified(&self) -> String {
        let sanitize = crate::text::sanitize;
        let claims = format!(
            "{} at {}, as the record claims",
            sanitize(&self.verified_by),
            sanitize(&self.verified_at)
        );
        match &self.stored {
            Some(stored) => format!("{claims}; {}", stored.describe()),
            None => claims,
        }
    }

    fn file_name(&self) -> String {
        // The digest is base64 (`+`, `/`); a key name wants neither.
        let digest = keys_digest(&self.keys);
        let digest = digest.trim_start_matches("sha256:");
        format!("{}.json", digest.replace('+', "-").replace('/', "_"))
    }
}

/// What [`TeamStore::publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    New,
    /// A record of the same keys was there already: nothing written.
    Exists,
    /// Something else sits where the record would go (squatting): nothing
    /// written, and the team should learn its bucket has an unexpected writer.
    Conflict,
}

impl Published {
    pub fn label(self) -> &'static str {
        match self {
            Published::New => "new",
            Published::Exists => "exists",
            Published::Conflict => "conflict",
        }
    }
}

/// The store, opened on one bucket.
#[derive(Debug, Clone)]
pub struct TeamStore {
    pub url: StoreUrl,
    bucket: Bucket,
}

/// A record that is not one: skipped, with why.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub key: String,
    pub why: String,
}

impl TeamStore {
    /// The store, asked through its bucket's own region (asked of S3 once
    /// and remembered in the cache directory), owned by `--store-owner` or
    /// else `own_account` (every request says so: a bucket of another
    /// account is refused by S3 before anything is read or written).
    pub async fn open(
        url: &StoreUrl,
        config: &aws_config::SdkConfig,
        own_account: &str,
    ) -> TeamStore {
        let owner = url.owner.clone().unwrap_or_else(|| own_account.to_string());
        let cache = Cache::default_dir().and_then(|dir| Cache::open_at(dir, Duration::ZERO));
        let mut region = cache.as_ref().and_then(|c| c.bucket_region(&url.bucket));
        let asked = region.is_none();
        let bucket = Bucket::in_its_region(config, &url.bucket, &mut region, Some(owner)).await;
        if asked && let (Some(cache), Some(region)) = (&cache, &region) {
            cache.put_bucket_region(&url.bucket, region);
        }
        TeamStore {
            url: url.clone(),
            bucket,
        }
    }

    /// Whether the bucket is the expected owner's, and usable.
    ///
    /// # Errors
    /// S3 refused (another account's bucket, or no permission).
    pub async fn check_owner(&self) -> Result<(), AwsError> {
        self.bucket.check_owner().await
    }

    /// Every well-formed record for the instance, and the objects under its
    /// prefix that are not well-formed records of it.
    ///
    /// # Errors
    /// The bucket cannot be listed or read.
    pub async fn records(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<(Vec<Record>, Vec<Rejected>), AwsError> {
        let prefix = self.url.instance_prefix(account, region, id);
        let mut records = Vec::new();
        let mut rejected = Vec::new();
        // One bounded page, whatever the prefix holds: a flood of objects
        // must not turn a connection into minutes of listing. Of it, only
        // objects named as records are, newest first by S3's LastModified
        // (never a date the writer typed), and a bounded number of them.
        let listing = self.bucket.list_page(&prefix, LIST_PAGE).await?;
        let (mut named, others): (Vec<_>, Vec<_>) = listing
            .objects
            .into_iter()
            .partition(|o| is_record_name(o.key.strip_prefix(&prefix).unwrap_or_default()));
        named.sort_by_key(|o| std::cmp::Reverse(o.modified));
        let skipped = others.len() + named.len().saturating_sub(MAX_RECORDS);
        if skipped > 0 || listing.truncated {
            let more = if listing.truncated {
                format!(", and the listing stopped at {LIST_PAGE} objects")
            } else {
                String::new()
            };
            rejected.push(Rejected {
                key: prefix.clone(),
                why: format!(
                    "{skipped} object(s) skipped (not named as records, or older than the newest {MAX_RECORDS}){more}: someone other than ec2-hostkey writes here"
                ),
            });
        }
        named.truncate(MAX_RECORDS);
        for listed in named {
            let key = listed.key.clone();
            let body = match self.bucket.get(&key).await {
                Ok(Some(body)) => body,
                Ok(None) => continue,
                // One unreadable object (too big, a KMS key we may not use)
                // must not hide the others.
                Err(AwsError::AccessDenied { message, .. }) => {
                    rejected.push(Rejected {
                        key,
                        why: format!("cannot be read: {message}"),
                    });
                    continue;
                }
                Err(AwsError::Api { code, message, .. }) => {
                    rejected.push(Rejected {
                        key,
                        why: format!("{code}: {message}"),
                    });
                    continue;
                }
                Err(err) => return Err(err),
            };
            match check(&key, &body, account, region, id) {
                Ok(mut record) => {
                    record.stored = Some(Stored {
                        key,
                        modified: listed.modified,
                    });
                    records.push(record);
                }
                Err(why) => rejected.push(Rejected { key, why }),
            }
        }
        Ok((records, rejected))
    }

    /// Writes `record` unless a record of the same instance and keys exists.
    ///
    /// # Errors
    /// The write was refused (access denied), or the API failed.
    pub async fn publish(&self, record: &Record) -> Result<Published, AwsError> {
        let key = self.url.key_for(record);
        let body = serde_json::to_vec_pretty(record).expect("a record serialises");
        Ok(match self.bucket.put_new(&key, body).await? {
            Created::New => Published::New,
            Created::Exists => self.judge_taken(&key, record).await?,
        })
    }

    /// A create-only write found `key` taken: the same keys there is fine;
    /// anything else (junk, another instance's record, other keys) is a
    /// squatter, and a conflict.
    async fn judge_taken(&self, key: &str, record: &Record) -> Result<Published, AwsError> {
        let (account, region, id) = (&record.account, &record.region, &record.instance_id);
        let there = match self.bucket.get(key).await {
            Ok(Some(body)) => check(key, &body, account, region, id).ok(),
            // Being written right now by another writer of the same record.
            Ok(None) => return Ok(Published::Exists),
            Err(AwsError::Api { .. }) => None,
            Err(err) => return Err(err),
        };
        let same = there.is_some_and(|r| {
            let mut theirs = r.keys.clone();
            let mut ours = record.keys.clone();
            theirs.sort();
            ours.sort();
            theirs == ours
        });
        Ok(if same {
            Published::Exists
        } else {
            Published::Conflict
        })
    }
}

/// Objects listed per instance: one page.
const LIST_PAGE: i32 = 1000;

/// Whether `name` (a key below an instance's prefix) is shaped as a record's:
/// the base64url SHA-256 of its keys, then `.json`.
fn is_record_name(name: &str) -> bool {
    name.strip_suffix(".json").is_some_and(|digest| {
        digest.len() == 43
            && digest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Parses the object at `key` as a record of instance `id` and checks that
/// it is what its place says: the account, region and instance of its
/// prefix, keys that parse, and a name that is the digest of those keys.
fn check(key: &str, body: &[u8], account: &str, region: &str, id: &str) -> Result<Record, String> {
    let record: Record = serde_json::from_slice(body).map_err(|e| format!("not a record ({e})"))?;
    if record.format != FORMAT {
        return Err(format!("record format {} is not {FORMAT}", record.format));
    }
    if record.account != account || record.region != region || record.instance_id != id {
        return Err(format!(
            "it names {} in {} of account {}, but sits under {id} in {region} of {account}",
            record.instance_id, record.region, record.account
        ));
    }
    match record.public_keys() {
        Some(keys) if !keys.is_empty() => {
            let distinct = keys
                .iter()
                .enumerate()
                .all(|(i, k)| keys[..i].iter().all(|o| o.key_data() != k.key_data()));
            if !distinct {
                return Err("it lists a key twice".into());
            }
        }
        _ => return Err("its keys are not all public keys".into()),
    }
    if !key.ends_with(&format!("/{}", record.file_name())) {
        return Err("its name is not the digest of its keys".into());
    }
    Ok(record)
}

/// Now, as RFC 3339 in UTC (records' `verified_at`).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJyF2V3rJTUgSvUrf7yW7oGBeqLFsgv0M3n6W6/d2gj";

    fn record() -> Record {
        Record {
            format: FORMAT,
            account: "123456789012".into(),
            region: "us-east-1".into(),
            instance_id: "i-0abc".into(),
            keys: vec![ED.into()],
            source: "console".into(),
            console_block: None,
            verified_at: now_rfc3339(),
            verified_by: "arn:aws:iam::123456789012:user/a".into(),
            stored: None,
        }
    }

    fn key_of(r: &Record) -> String {
        StoreUrl::parse("s3://team-keys/ssh").unwrap().key_for(r)
    }

    #[test]
    fn urls_parse_with_and_without_prefix() {
        let url = StoreUrl::parse("s3://team-keys/a/b/").unwrap();
        assert_eq!(
            (url.bucket.as_str(), url.prefix.as_str()),
            ("team-keys", "a/b")
        );
        assert_eq!(url.to_string(), "s3://team-keys/a/b");
        assert_eq!(StoreUrl::parse("s3://team-keys").unwrap().prefix, "");
        for bad in [
            "team-keys",
            "s3://",
            "s3://Upper",
            "s3://a",
            "s3://ok-bucket/../x",
        ] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_record_is_accepted_only_where_it_belongs() {
        let r = record();
        let body = serde_json::to_vec(&r).unwrap();
        let key = key_of(&r);
        assert_eq!(
            check(&key, &body, "123456789012", "us-east-1", "i-0abc").unwrap(),
            r
        );
        // Copied under another instance's prefix: refused.
        assert!(check(&key, &body, "123456789012", "us-east-1", "i-0def").is_err());
        // Keys changed without renaming: refused.
        let mut other = r.clone();
        other.keys = vec![ED.replace("HJy", "HJz")];
        let forged = serde_json::to_vec(&other).unwrap();
        assert!(check(&key, &forged, "123456789012", "us-east-1", "i-0abc").is_err());
        assert!(check(&key, b"{}", "123456789012", "us-east-1", "i-0abc").is_err());
    }

    #[test]
    fn the_same_keys_in_any_order_name_the_same_object() {
        let mut a = record();
        a.keys = vec![ED.into(), "ecdsa-sha2-nistp256 AAAA".into()];
        let mut b = a.clone();
        b.keys.reverse();
        b.verified_by = "someone else".into();
        assert_eq!(a.file_name(), b.file_name());
    }
}
