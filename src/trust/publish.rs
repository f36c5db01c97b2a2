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
use crate::text::{sanitize, warn};

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
    /// Records of the instance that list other keys: `verified_by at verified_at`.
    pub disagreeing: Vec<String>,
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
        Ok(Publisher {
            store: TeamStore::open(url, config),
            caller: sts::caller(config).await?,
        })
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
        };
        let (existing, _) = self
            .store
            .records(&record.account, &record.region, &record.instance_id)
            .await?;
        // The same set: each side's keys all in the other's.
        let same = |r: &Record| {
            r.public_keys().is_some_and(|theirs| {
                let within = |a: &[PublicKey], b: &[PublicKey]| {
                    a.iter()
                        .all(|x| b.iter().any(|y| x.key_data() == y.key_data()))
                };
                within(&theirs, keys) && within(keys, &theirs)
            })
        };
        let disagreeing: Vec<String> = existing
            .iter()
            .filter(|r| !same(r))
            .map(|r| {
                format!(
                    "{} at {}",
                    sanitize(&r.verified_by),
                    sanitize(&r.verified_at)
                )
            })
            .collect();
        let published = if existing.iter().any(same) {
            Published::Exists
        } else {
            self.store.publish(&record).await?
        };
        Ok(Outcome {
            published,
            disagreeing,
        })
    }

    /// Where records go, for messages.
    pub fn url(&self) -> &StoreUrl {
        &self.store.url
    }
}

/// Publishes one verification from a command that verifies one instance at
/// a time, saying on stderr what happened when it matters: a failure to
/// publish never fails the command (the keys were verified).
pub fn publish_verified(
    aws: &aws::Config,
    url: Option<&StoreUrl>,
    instance: &Instance,
    source: &str,
    block: Option<&str>,
    keys: &[PublicKey],
    quiet: bool,
) {
    let Some(url) = url.filter(|_| from_a_source(source)) else {
        return;
    };
    let published = aws::block_on(async {
        let config = aws.loader(aws.first_region()).load().await;
        let publisher = Publisher::open(&config, url).await?;
        Ok(publisher.publish(instance, source, block, keys).await?)
    });
    match published {
        Ok(outcome) => report(url, instance, &outcome, quiet),
        Err(err) => warn(
            false,
            &format!(
                "could not publish {}'s keys to the team store {url}: {err:#}",
                instance.id
            ),
        ),
    }
}

/// Publishes what [`crate::trust::policy::keys_without_connection`] found,
/// if a source vouched, saying on stderr what matters (a failure never
/// fails the command).
pub async fn publish_found(
    publisher: &Publisher,
    instance: &Instance,
    found: &crate::trust::policy::Found,
) {
    if !from_a_source(found.source) {
        return;
    }
    let published = publisher
        .publish(
            instance,
            found.source,
            found.block_digest.as_deref(),
            &found.keys,
        )
        .await;
    match published {
        Ok(outcome) => report(publisher.url(), instance, &outcome, true),
        Err(err) => warn(
            false,
            &format!(
                "could not publish {}'s keys to the team store {}: {err:#}",
                instance.id,
                publisher.url()
            ),
        ),
    }
}

/// The disagreement line (always shown: it may be an attack), and what was written.
pub fn report(url: &StoreUrl, instance: &Instance, outcome: &Outcome, quiet: bool) {
    for other in &outcome.disagreeing {
        warn(
            false,
            &format!(
                "the team store {url} holds a record for {} with other keys (verified by {other}); the fresh read wins: the instance was re-keyed, or that record was tampered with",
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
