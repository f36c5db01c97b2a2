//! Publishing verifications to the team store (SECURITY.md, trust rule 1e):
//! after a source (a proven seed, the console, Systems Manager) vouched for
//! an instance's keys, one create-only record per instance and key set.
//! What only a memo or the store itself vouched for is never published:
//! a record must always go back to a source.
//!
//! Before writing, the instance's records are read: the same keys mean
//! nothing to write; other keys are reported (a re-key, or a tampered
//! record) — the fresh read wins.

use ssh_key::PublicKey;

use crate::aws::{self, ec2::Instance, sts};
use crate::error::AwsError;
use crate::store::known_hosts::key_line;
use crate::store::team::{self, Published, Record, StoreUrl, TeamStore};
use crate::text::warn;
use crate::trust::console::same_keys;
use crate::trust::policy::Found;

/// The store opened for writing, with who is writing.
#[derive(Debug, Clone)]
pub struct Publisher {
    store: TeamStore,
    caller: sts::Caller,
}

/// What publishing one instance's keys did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub published: Published,
    /// Records of the instance that list other keys: what each claims, and
    /// what S3 says of it.
    pub disagreeing: Vec<String>,
    /// With [`Published::Conflict`]: the object that sits where the record goes.
    pub conflict: Option<String>,
}

/// Whether keys vouched for by the source labelled `label` (as in reports)
/// go to the store: only a source's, never the memo's or the store's own.
pub fn from_a_source(label: &str) -> bool {
    label == "seed" || label == "ssm" || label.starts_with("console")
}

impl Publisher {
    /// # Errors
    /// Who the caller is cannot be told (GetCallerIdentity failed).
    pub async fn open(config: &aws_config::SdkConfig, url: &StoreUrl) -> Result<Self, AwsError> {
        let caller = sts::caller(config).await?;
        let store = TeamStore::open(url, config, &caller.account).await;
        // Before any record is written: a bucket of another account (a
        // typo, or a name someone re-registered) would collect them.
        store.check_owner().await?;
        Ok(Publisher { store, caller })
    }

    /// Publishes `keys` for `instance` as vouched for by `source` (a
    /// [`from_a_source`] label); `block` is the console block's digest.
    ///
    /// # Errors
    /// The bucket cannot be read or written.
    pub async fn publish(
        &self,
        instance: &Instance,
        source: &str,
        block: Option<&str>,
        keys: &[PublicKey],
    ) -> Result<Outcome, AwsError> {
        // Placed as the reader looks for it (`policy::from_store`).
        let account = instance.account.clone().unwrap_or_else(|| "unknown".into());
        let record = Record {
            format: 1,
            account,
            region: instance.region.clone(),
            instance_id: instance.id.clone(),
            keys: keys.iter().map(key_line).collect(),
            source: if source.starts_with("console") {
                "console"
            } else {
                source
            }
            .to_string(),
            console_block: block.map(str::to_string),
            verified_at: team::now_rfc3339(),
            verified_by: self.caller.arn.clone(),
            stored: None,
        };
        let (existing, _) = self
            .store
            .records(&record.account, &record.region, &record.instance_id)
            .await?;
        let same = |r: &Record| {
            r.public_keys()
                .is_some_and(|theirs| same_keys(&theirs, keys))
        };
        let disagreeing: Vec<String> = existing
            .iter()
            .filter(|r| !same(r))
            .map(Record::verified)
            .collect();
        let published = if existing.iter().any(same) {
            Published::Exists
        } else {
            self.store.publish(&record).await?
        };
        let conflict = (published == Published::Conflict).then(|| {
            format!(
                "s3://{}/{}",
                self.store.url.bucket,
                self.store.url.key_for(&record)
            )
        });
        Ok(Outcome {
            published,
            disagreeing,
            conflict,
        })
    }

    /// Publishes `found` if a source vouched for it (else `None`).
    pub async fn publish_found(
        &self,
        instance: &Instance,
        found: &Found,
    ) -> Option<Result<Outcome, AwsError>> {
        if !from_a_source(found.source) {
            return None;
        }
        let block = found.block_digest.as_deref();
        Some(
            self.publish(instance, found.source, block, &found.keys)
                .await,
        )
    }

    /// Where records go, for messages.
    pub fn url(&self) -> &StoreUrl {
        &self.store.url
    }
}

/// Publishes one verification from a command that verifies one instance at
/// a time (`proxy`, `known-hosts`, `fetch`), if a store is configured and a
/// source vouched.
pub fn publish_verified(
    aws: &aws::Config,
    url: Option<&StoreUrl>,
    instance: &Instance,
    found: &Found,
    quiet: bool,
) {
    let Some(url) = url.filter(|_| from_a_source(found.source)) else {
        return;
    };
    let published = aws::block_on(async {
        let config = aws.loader(aws.first_region()).load().await;
        let publisher = Publisher::open(&config, url).await?;
        Ok(publisher.publish_found(instance, found).await)
    });
    match published {
        Ok(Some(result)) => report(url, instance, &result, quiet),
        Ok(None) => {}
        Err(err) => report(url, instance, &Err(err), quiet),
    }
}

/// What publishing did, on stderr: disagreements always (they may be an
/// attack), a failure as a warning (publishing never fails a command: the
/// keys were verified), a new record unless `quiet`.
pub fn report<E: std::fmt::Display>(
    url: &StoreUrl,
    instance: &Instance,
    result: &Result<Outcome, E>,
    quiet: bool,
) {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => {
            let id = &instance.id;
            warn(
                false,
                &format!("could not publish {id}'s keys to the team store {url}: {err:#}"),
            );
            return;
        }
    };
    for other in &outcome.disagreeing {
        warn(
            false,
            &format!(
                "the team store {url} holds a record for {} with other keys (verified by {other}); the fresh read wins: the instance was re-keyed, or that record was tampered with",
                instance.id
            ),
        );
    }
    if let Some(object) = &outcome.conflict {
        warn(
            false,
            &format!(
                "could not publish {}'s keys: {object} is taken by an object that is not this record (junk, or other keys): someone other than ec2-hostkey writes to the team store {url}; find out who, and remove it",
                instance.id
            ),
        );
    }
    if outcome.published == Published::New {
        crate::text::note(
            quiet,
            &format!("published {}'s keys to the team store {url}", instance.id),
        );
    }
}
