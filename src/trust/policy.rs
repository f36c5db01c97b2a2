//! The one trust policy: which keys belong to an instance (SECURITY.md,
//! trust rules 1, 5 and 7). Every command that verifies goes through here,
//! so each rule is enforced once:
//!
//! 1. a seed whose binding to the instance is proven (its launch data, or
//!    `seed bind`) — never a tag alone;
//! 2. else the instance's console output, read through the EC2 API: its KEYS
//!    block, or its FINGERPRINTS block matched against a key the live server
//!    presents;
//! 3. else its public host keys as its Systems Manager agent reads them now;
//! 4. else — no source has them — keys verified earlier for this instance id
//!    (the cache), but only for a key the live server presents now. The
//!    cache is a memo: it never overrides a source.
//!
//! With a team store (`--store`), its newest record for the instance is read
//! after the seed and before the console when a live key will be checked
//! (`proxy`, `known-hosts`: the record vouches only for a key the server
//! presents, and one it does not list sends the lookup on to the other
//! sources), and after the console when none will (`fetch`, `sync`,
//! `repair`: the server is probed and must present only listed keys).
//! Every verification by a source is published to the store ([`Publisher`]).
//!
//! `--source` narrows this to one source (the memo still applies); when every
//! source tried fails, the error lists each, in order.
//!
//! The warm path ([`Warm`]) answers a recently verified name from the cache
//! without building any AWS client, again only for a key the live server
//! presents.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ssh_key::PublicKey;

use crate::aws::{
    self,
    ec2::{Ec2, Instance},
};
use crate::net::kex;
use crate::store::cache::{Cache, InstanceRecord, NameRecord};
use crate::store::seeds::{self, SeedRecord, SeedStore};
use crate::store::team::{Record, StoreUrl, TeamStore};
use crate::text::{note, warn};
use crate::trust::console::Vouched;
use crate::trust::resolve::{self, AddressMode, Target};
use crate::trust::{seed, sources, ssm};

/// What a lookup needs from the command line (built once, by `cmd`).
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// The accounts instances are looked up in.
    pub accounts: &'a [aws::Config],
    pub resolve: resolve::Options,
    pub sources: &'a Sources,
    pub quiet: bool,
}

/// Which sources to ask (`--source`), and the Systems Manager document.
#[derive(Debug, Clone)]
pub struct Sources {
    pub only: Option<SourceKind>,
    /// The tool's own document (`--ssm-document`).
    pub ssm_document: String,
    /// The team store (`--store`), if any.
    pub store: Option<StoreUrl>,
    /// With accounts configured, the base AWS settings the team store is
    /// read with: its bucket is the base account's (or `--store-owner`'s),
    /// whichever account holds the instance. `None`: the instance's
    /// account is the caller's own.
    pub store_reader: Option<aws::Config>,
    /// Whether a live key will be checked against what the sources vouch
    /// for (`proxy`, `known-hosts`): the store is then read before the console.
    pub for_connection: bool,
}

/// A trusted source of host keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Seed,
    Store,
    Console,
    Ssm,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            only: None,
            ssm_document: ssm::DEFAULT_DOCUMENT.into(),
            store: None,
            store_reader: None,
            for_connection: false,
        }
    }
}

impl Sources {
    /// For a command that checks a live key (`proxy`, `known-hosts`).
    pub fn for_connection(self) -> Self {
        Sources {
            for_connection: true,
            ..self
        }
    }

    fn asks(&self, kind: SourceKind) -> bool {
        let configured = kind != SourceKind::Store || self.store.is_some();
        configured && self.only.is_none_or(|only| only == kind)
    }

    /// Whether keys verified earlier by the source named `label` (a cache
    /// record's) may answer: `--source` narrows the cache too.
    pub fn accepts_remembered(&self, label: &str) -> bool {
        let kind = match label {
            "seed" => Some(SourceKind::Seed),
            "ssm" => Some(SourceKind::Ssm),
            "store" => Some(SourceKind::Store),
            l if l.starts_with("console") => Some(SourceKind::Console),
            _ => None,
        };
        self.only.is_none_or(|only| kind == Some(only))
    }

    /// Keys verified earlier for `id` that `--source` lets answer.
    fn remembered(&self, cache: Option<&Cache>, id: &str) -> Option<(Vec<PublicKey>, String)> {
        let record = cache?.instance(id)?;
        if !self.accepts_remembered(&record.source) {
            return None;
        }
        Some((record.public_keys()?, record.source))
    }
}

/// What the cache remembers about a name: where it led, and the keys verified there.
pub struct Warm {
    pub name: NameRecord,
    pub keys: InstanceRecord,
}

impl Warm {
    /// The cached verification of `lookup_name`, if fresh, on the side
    /// `--address` asks for, and made by a source `--source` allows.
    pub fn load(
        cache: &Cache,
        lookup_name: &str,
        mode: AddressMode,
        sources: &Sources,
    ) -> Option<Warm> {
        let name = cache.name(lookup_name)?;
        let wanted = mode.side();
        if wanted.is_some() && name.side != wanted {
            return None;
        }
        let keys = cache.instance(&name.instance)?;
        keys.public_keys()?;
        if !sources.accepts_remembered(&keys.source) {
            return None;
        }
        Some(Warm { name, keys })
    }
}

/// An instance and what a trusted source vouches for about its keys.
pub struct Cold {
    pub instance: Instance,
    pub vouched: Vouched,
    pub source: Source,
}

/// Where vouched-for keys came from.
pub enum Source {
    /// A seed proven to be this instance's (trust rule 1b).
    Seed(SeedRecord),
    /// The instance's console output (trust rule 1a, 1c).
    Console,
    /// The instance's Systems Manager agent, with this document (trust rule 1d).
    Ssm(String),
    /// A record in the team store (trust rule 1e); it vouches only for a
    /// key the live server presents.
    Store { store: String, record: Box<Record> },
    /// Keys verified earlier for this instance id; they vouch only for a key
    /// the live server presents (trust rule 7).
    Memo,
    /// The same, taken before any source was asked: a connection's shortcut
    /// when the instance's keys are known. If the live key is not among
    /// them, the sources are asked after all ([`connection_lookup`]).
    Known,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Console => "the instance's console output".into(),
            Source::Seed(record) => format!("seed {}", record.id),
            Source::Ssm(document) => {
                format!("the instance's Systems Manager agent (document {document})")
            }
            Source::Store { store, .. } => format!(
                "the team store {store} (verified by {})",
                self.verified_by().unwrap_or_default()
            ),
            Source::Memo => {
                "keys verified earlier for this instance (no source holds its keys now)".into()
            }
            Source::Known => "keys verified earlier for this instance".into(),
        }
    }

    /// Who verified and when, for a team-store record (`verified_by` in JSON).
    pub fn verified_by(&self) -> Option<String> {
        match self {
            Source::Store { record, .. } => Some(record.verified()),
            _ => None,
        }
    }

    /// The short name in reports and the cache (`source` in JSON).
    pub fn label(&self) -> &'static str {
        match self {
            Source::Seed(_) => "seed",
            Source::Console => "console",
            Source::Ssm(_) => "ssm",
            Source::Store { .. } => "store",
            Source::Memo | Source::Known => "cache",
        }
    }
}

impl Cold {
    /// What the trusted sources say about `instance`'s keys, in the order of
    /// the module doc.
    ///
    /// # Errors
    /// No source vouches for anything (console not there yet, or without a
    /// block; Systems Manager unavailable; nothing remembered), the console
    /// contradicts itself, a Systems Manager read contradicts keys verified
    /// earlier, or the API failed.
    pub async fn of(
        ec2: &Ec2,
        instance: Instance,
        cache: Option<&Cache>,
        wait: Duration,
        quiet: bool,
        sources: &Sources,
    ) -> Result<Cold, sources::Error> {
        Cold::of_prefetched(ec2, instance, cache, wait, quiet, sources, Vec::new()).await
    }

    /// [`Cold::of`], with the console read perhaps already under way
    /// (started while the instance was being located).
    async fn of_prefetched(
        ec2: &Ec2,
        instance: Instance,
        cache: Option<&Cache>,
        wait: Duration,
        quiet: bool,
        sources: &Sources,
        prefetched: Vec<Prefetched>,
    ) -> Result<Cold, sources::Error> {
        let prefetched = prefetched
            .into_iter()
            .find(|p| p.id == instance.id && p.place == ec2.place());
        let started = Instant::now();
        let vouch = |instance, vouched, source| {
            Ok(Cold {
                instance,
                vouched,
                source,
            })
        };
        // Each source that had nothing, with why, in the order asked.
        let mut tried: Vec<(&str, sources::Error)> = Vec::new();
        let mut no_seed = false;
        if sources.asks(SourceKind::Seed) {
            match seeded(ec2, &instance, quiet).await {
                Some(record) => {
                    let vouched = Vouched {
                        keys: record.public_keys().unwrap_or_default(),
                        fingerprints: Vec::new(),
                        block_digest: None,
                    };
                    return vouch(instance, vouched, Source::Seed(record));
                }
                // Worth naming only to someone who expected a seed.
                None => no_seed = instance.seed.is_some(),
            }
        }
        if sources.for_connection
            && let Some((vouched, source)) = ask_store(ec2, &instance, sources, &mut tried).await?
        {
            return vouch(instance, vouched, source);
        }
        if sources.asks(SourceKind::Console) {
            let read = match prefetched {
                Some(mut p) => (&mut p.read).await.unwrap_or_else(|e| {
                    Err(sources::Error::Aws(crate::error::AwsError::Api {
                        action: "ec2:GetConsoleOutput",
                        code: "Join".into(),
                        message: e.to_string(),
                    }))
                }),
                None => {
                    let long_running = instance
                        .launched_at
                        .is_some_and(|t| crate::store::cache::now() as i64 - t > LONG_RUNNING_SECS);
                    sources::console_keys(ec2, &instance.id, wait, quiet, long_running).await
                }
            };
            match read {
                Ok(vouched) => return vouch(instance, vouched, Source::Console),
                Err(err @ (sources::Error::NotYet { .. } | sources::Error::NoKeyBlock { .. })) => {
                    tried.push(("console", err));
                }
                Err(err) => return Err(err),
            }
        }
        if !sources.for_connection
            && let Some((vouched, source)) = ask_store(ec2, &instance, sources, &mut tried).await?
        {
            return vouch(instance, vouched, source);
        }
        if sources.asks(SourceKind::Ssm) {
            let left = wait.saturating_sub(started.elapsed());
            let document = &sources.ssm_document;
            match ssm::ssm_keys(ec2, &instance.id, document, left, quiet).await {
                Ok((vouched, used)) => {
                    if sources.only.is_none() {
                        contradicts_remembered(cache, &instance.id, &vouched)?;
                    }
                    return vouch(instance, vouched, Source::Ssm(used));
                }
                Err(
                    err @ (sources::Error::SsmNotManaged { .. }
                    | sources::Error::SsmOffline { .. }
                    | sources::Error::SsmTimedOut { .. }),
                ) => tried.push(("Systems Manager", err)),
                // Asked for by name: its own error, exit code and all.
                Err(err) if sources.only.is_some() => return Err(err),
                Err(err) => tried.push(("Systems Manager", err)),
            }
        }
        if let Some((keys, _)) = sources.remembered(cache, &instance.id) {
            tracing::debug!(
                "no source has the keys now; falling back to the keys verified earlier"
            );
            let vouched = Vouched {
                keys,
                fingerprints: Vec::new(),
                block_digest: None,
            };
            return vouch(instance, vouched, Source::Memo);
        }
        if tried.len() == 1 && !no_seed {
            return Err(tried.remove(0).1);
        }
        let mut listed: Vec<String> = Vec::new();
        // A seed is named when the instance's tag promised one, or when only a seed was asked for.
        if no_seed || tried.is_empty() {
            listed.push("seed (none is proven to be this instance's)".into());
        }
        listed.extend(tried.iter().map(|(name, err)| format!("{name} ({err})")));
        Err(sources::Error::NoSource {
            id: instance.id,
            tried: listed.join(", then "),
        })
    }

    /// A seed's S3 object has done its job once a connection to its instance
    /// verified: delete it — whatever vouched this time (`sync` may have
    /// verified first, or an earlier deletion failed).
    pub fn after_verified_connection(&self, aws: &aws::Config, quiet: bool) {
        let Some(store) = SeedStore::existing() else {
            return;
        };
        let record = match &self.source {
            Source::Seed(record) => Some(record.clone()),
            _ => store.bound_to(&self.instance.id),
        };
        let Some(mut record) = record.filter(|r| r.s3.as_ref().is_some_and(|o| !o.deleted)) else {
            return;
        };
        let result = seed::delete_s3_object(aws, quiet, &store, &mut record);
        if let Err(err) = result {
            crate::text::warn(false, &format!("{err:#}"));
        }
    }

    /// Records this verification in the cache: the keys by instance id
    /// (unless they came from the memo itself), and where the name led.
    pub fn remember(&self, cache: Option<&Cache>, keys: &[PublicKey], at: Remembered<'_>) {
        let Some(cache) = cache else { return };
        if !matches!(self.source, Source::Memo | Source::Known) {
            remember_keys(cache, &self.instance, keys, self.source.label());
        }
        cache.put_name(&NameRecord {
            name: at.lookup_name.to_string(),
            instance: self.instance.id.clone(),
            address: at.address.to_string(),
            names: at.names.to_vec(),
            resolved_at: crate::store::cache::now(),
            side: Some(self.instance.side),
            scope: String::new(),
            tunnel: at.tunnel,
            account: self.instance.account.clone(),
        });
    }

    /// This verification as [`Found`]: `keys` as checked, `source` its label.
    pub fn found(&self, keys: Vec<PublicKey>, source: &'static str) -> Found {
        Found {
            keys,
            source,
            block_digest: self.vouched.block_digest.clone(),
            verified_by: self.source.verified_by(),
        }
    }

    /// The refusal of `presented`: these keys do not include it (exit 5).
    fn refusal(&self, address: &str, presented: &PublicKey) -> anyhow::Error {
        sources::Error::Mismatch {
            id: self.instance.id.clone(),
            vouched_by: self.source.describe(),
            address: address.to_string(),
            presented: sources::describe_key(presented),
            listed: self.vouched.describe(),
        }
        .into()
    }

    /// Checks the key the live server presented at `address` and returns the
    /// keys to record (trust rule 5).
    ///
    /// # Errors
    /// [`sources::Error::Mismatch`] when the presented key is not vouched for.
    pub fn check(&self, address: &str, presented: &PublicKey) -> Result<Vec<PublicKey>> {
        if !self.vouched.vouches_for(presented) {
            return Err(self.refusal(address, presented));
        }
        // A key of a KEYS block (or a seed, Systems Manager, the memo) vouches
        // for the whole set; without one, a presented key whose fingerprint
        // is listed vouches for itself. A team-store record vouches only for
        // what the server presents: a bucket writer could add a key of
        // theirs beside the real one.
        Ok(
            if self.vouched.keys.is_empty() || matches!(self.source, Source::Store { .. }) {
                vec![presented.clone()]
            } else {
                self.vouched.keys.clone()
            },
        )
    }

    /// The instance's keys for commands that write without a connection
    /// (`fetch`, `sync`, `repair`): a seed's, the console's KEYS block or
    /// the Systems Manager read as they are; for a FINGERPRINTS-only console
    /// or a memo, the live server
    /// is probed for each key type and every key it presents must be
    /// vouched for. Blocking (it may probe).
    ///
    /// # Errors
    /// A presented key is not vouched for (mismatch), or no key could be had.
    pub fn keys_without_connection(&self, port: u16) -> Result<(Vec<PublicKey>, &'static str)> {
        match self.source {
            Source::Seed(_) => return Ok((self.vouched.keys.clone(), "seed")),
            Source::Ssm(_) => return Ok((self.vouched.keys.clone(), "ssm")),
            Source::Console if !self.vouched.keys.is_empty() => {
                return Ok((self.vouched.keys.clone(), "console-keys"));
            }
            _ => {}
        }
        let address = self
            .instance
            .address()
            .context("the instance has no address to probe")?;
        let ip: IpAddr = address
            .parse()
            .context("EC2 returned an address that is not an IP")?;
        let (vouched, unlisted): (Vec<PublicKey>, Vec<PublicKey>) = kex::probe_all(ip, port)?
            .into_iter()
            .partition(|key| self.vouched.vouches_for(key));
        let unlisted: Vec<String> = unlisted.iter().map(sources::describe_key).collect();
        if !unlisted.is_empty() {
            return Err(sources::Error::Mismatch {
                id: self.instance.id.clone(),
                vouched_by: self.source.describe(),
                address: address.to_string(),
                presented: unlisted.join(", "),
                listed: self.vouched.describe(),
            }
            .into());
        }
        if vouched.is_empty() {
            bail!(
                "{} vouches for no key the server at {address} port {port} presents",
                self.source.describe()
            );
        }
        Ok(match self.source {
            Source::Memo => (self.vouched.keys.clone(), "cache"),
            // Only what the server presents: see `check`.
            Source::Store { .. } => (vouched, "store"),
            _ => (vouched, "console-fingerprints+probe"),
        })
    }
}

/// The instance's keys for commands that write without a connection
/// (`sync`, `repair`): [`Cold::of`], then [`Cold::keys_without_connection`]
/// off the async threads (it may probe); a verification from a source (not
/// the memo) is remembered by instance id.
///
/// # Errors
/// As [`Cold::of`] and [`Cold::keys_without_connection`].
pub async fn keys_without_connection(
    ec2: &Ec2,
    instance: Instance,
    cache: Option<&Cache>,
    port: u16,
    quiet: bool,
    sources: &Sources,
) -> Result<Found> {
    let cold = Cold::of(ec2, instance, cache, Duration::ZERO, quiet, sources).await?;
    let (cold, found) = tokio::task::spawn_blocking(move || {
        let found = cold.keys_without_connection(port);
        (cold, found)
    })
    .await?;
    let (keys, source) = found?;
    if let (Some(cache), false) = (cache, matches!(cold.source, Source::Memo)) {
        remember_keys(cache, &cold.instance, &keys, source);
    }
    Ok(cold.found(keys, source))
}

/// Remembers `keys` as verified for `instance` (and its owner) by the source `label`.
/// What the team store vouched for never replaces what a source verified:
/// the stronger label decides whether a Systems Manager read contradicting
/// it is refused.
fn remember_keys(cache: &Cache, instance: &Instance, keys: &[PublicKey], label: &str) {
    if label == "store" && cache.instance(&instance.id).is_some() {
        return;
    }
    cache.put_instance(&InstanceRecord {
        account: instance.account.clone(),
        ..InstanceRecord::new(&instance.id, keys, label)
    });
}

/// An instance's keys as [`keys_without_connection`] found them.
pub struct Found {
    pub keys: Vec<PublicKey>,
    /// The source's label (`console-keys`, `store`, …).
    pub source: &'static str,
    /// The console block's digest, when the console vouched.
    pub block_digest: Option<String>,
    /// Who verified, when a team-store record vouched.
    pub verified_by: Option<String>,
}

/// In `auto`, a Systems Manager read that shares no key with the keys
/// verified earlier for the instance from its console or a seed is not
/// taken on its word: it may be a re-key, or a forged read (any process
/// that can use the instance's credentials can answer for its agent).
fn contradicts_remembered(
    cache: Option<&Cache>,
    id: &str,
    read: &Vouched,
) -> Result<(), sources::Error> {
    let Some(record) = cache.and_then(|c| c.instance(id)) else {
        return Ok(());
    };
    let by_stronger = record.source == "seed" || record.source.starts_with("console");
    let Some(earlier) = record.public_keys().filter(|_| by_stronger) else {
        return Ok(());
    };
    if read
        .keys
        .iter()
        .any(|k| earlier.iter().any(|e| e.key_data() == k.key_data()))
    {
        return Ok(());
    }
    Err(sources::Error::SsmContradicts {
        id: id.into(),
        earlier: record.source,
    })
}

/// The team store's answer, if it is configured and asked: a record that
/// answers, else nothing (why noted in `tried`), or the store's error when
/// it was asked for by name (`--source store`).
async fn ask_store(
    ec2: &Ec2,
    instance: &Instance,
    sources: &Sources,
    tried: &mut Vec<(&str, sources::Error)>,
) -> Result<Option<(Vouched, Source)>, sources::Error> {
    if !sources.asks(SourceKind::Store) {
        return Ok(None);
    }
    match from_store(ec2, instance, sources).await {
        Ok(found) => Ok(Some(found)),
        Err(err) if sources.only.is_some() => Err(err),
        Err(err) => {
            tried.push(("team store", err));
            Ok(None)
        }
    }
}

/// The newest record the team store holds for `instance` (records a
/// bucket writer put under another instance's name, or with keys that do
/// not match their name, are skipped with a warning).
async fn from_store(
    ec2: &Ec2,
    instance: &Instance,
    sources: &Sources,
) -> Result<(Vouched, Source), sources::Error> {
    let url = sources.store.as_ref().expect("asked only when configured");
    // The bucket must be the account's own (or --store-owner's): the
    // instance's account, as EC2 reports it, is the caller's here.
    let account = match instance.account.as_deref() {
        Some(account) => account.to_string(),
        None => crate::aws::sts::caller(ec2.sdk_config()).await?.account,
    };
    let store = match &sources.store_reader {
        None => TeamStore::open(url, ec2.sdk_config(), &account).await,
        Some(base) => {
            let config = base.loader(base.first_region()).load().await;
            let own = match &url.owner {
                Some(owner) => owner.clone(),
                None => crate::aws::sts::caller(&config).await?.account,
            };
            TeamStore::open(url, &config, &own).await
        }
    };
    let account = account.as_str();
    let (records, rejected) = store
        .records(account, &instance.region, &instance.id)
        .await?;
    for skipped in rejected {
        warn(
            false,
            &format!(
                "ignoring s3://{}/{} in the team store: {}",
                url.bucket,
                crate::text::sanitize(&skipped.key),
                crate::text::sanitize(&skipped.why)
            ),
        );
    }
    // Newest by what S3 says (LastModified), never by a date the writer typed.
    let newest = records
        .into_iter()
        .max_by(|a, b| {
            let order = |r: &Record| r.stored.as_ref().map(|s| s.modified);
            order(a).cmp(&order(b))
        })
        .ok_or_else(|| sources::Error::NoStoreRecord {
            id: instance.id.clone(),
            store: url.to_string(),
        })?;
    let vouched = Vouched {
        keys: newest.public_keys().unwrap_or_default(),
        ..Vouched::default()
    };
    let source = Source::Store {
        store: url.to_string(),
        record: Box::new(newest),
    };
    Ok((vouched, source))
}

impl Cold {
    /// Whether this answer came before the sources were asked (keys known
    /// for the instance, or a team-store record) and does not vouch for
    /// `presented`: then the sources decide ([`confirm_with_sources`]).
    pub fn needs_sources(&self, presented: &PublicKey) -> bool {
        matches!(self.source, Source::Known | Source::Store { .. })
            && !self.vouched.vouches_for(presented)
    }
}

/// The sources' answer after an early one did not vouch for `presented`
/// ([`Cold::needs_sources`]): `lookup` runs the lookup with the sources it is
/// given (the store left out). A team-store record that no source can
/// overrule stays refused (exit 5): only a fresh read may say the instance
/// was re-keyed, and publishing it reports the disagreement.
///
/// # Errors
/// The record is refused, or the fresh lookup failed.
pub fn confirm_with_sources(
    early: Cold,
    presented: &PublicKey,
    address: &str,
    sources: &Sources,
    lookup: &dyn Fn(&Sources) -> Result<Cold>,
) -> Result<Cold> {
    let from_store = matches!(early.source, Source::Store { .. });
    if from_store && sources.only == Some(SourceKind::Store) {
        return Err(early.refusal(address, presented));
    }
    // After the memo, the store may hold a newer record; after the store,
    // the other sources decide.
    let asked = Sources {
        store: sources.store.clone().filter(|_| !from_store),
        ..sources.clone()
    };
    let fresh = match lookup(&asked) {
        Ok(fresh) if fresh.instance.id != early.instance.id => {
            // The name now means another instance (a tag moved?): never
            // vouch for this connection with that instance's keys.
            bail!(
                "{} now names {}, not {}; run ssh again",
                early.instance.id,
                fresh.instance.id,
                early.instance.id
            );
        }
        Ok(fresh) => fresh,
        // A record that nothing overrules stays refused, whatever kept the
        // sources from answering.
        Err(_) if from_store => return Err(early.refusal(address, presented)),
        Err(err) => return Err(err),
    };
    if fresh.needs_sources(presented) {
        return confirm_with_sources(fresh, presented, address, sources, lookup);
    }
    Ok(fresh)
}

/// An instance up this long has long finished its first boot: a console
/// without a block will not grow one.
const LONG_RUNNING_SECS: i64 = 15 * 60;

/// A console read started before the instance was located (an instance id
/// names it already), one per account and region searched.
struct Prefetched {
    id: String,
    /// Region and account ([`Ec2::place`]).
    place: String,
    read: tokio::task::JoinHandle<Result<Vouched, sources::Error>>,
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        // Not needed after all (a seed applied, or another instance): stop it.
        self.read.abort();
    }
}

/// The cold path of a connection (`proxy`, `known-hosts`), overlapped so it
/// costs about one API round trip more than the warm one:
///
/// - for an instance id, its console is read while it is being located;
/// - `on_located` gets the instance as soon as it is known, so the caller can
///   connect and read the key exchange while the sources are read;
/// - when keys were verified earlier for the located instance id (ids are
///   never reused), they answer without asking any source
///   ([`Source::Known`]); the caller must then check the live key against
///   them and, if it is not among them, call [`cold_lookup`] for the sources.
///
/// # Errors
/// As [`cold_lookup`].
pub fn connection_lookup<T>(
    lookup: Lookup<'_>,
    target: &Target,
    wait: Duration,
    cache: Option<&Cache>,
    on_located: impl FnOnce(&Instance) -> T,
) -> Result<(Cold, T)> {
    aws::block_on(async {
        let started = Instant::now();
        let homes = resolve::homes(lookup.accounts).await;
        let known = |id: &str| lookup.sources.remembered(cache, id).map(|(keys, _)| keys);
        // An id's console is read in every account and region searched while
        // the instance is being located: one round trip, wherever it lives.
        let prefetched: Vec<Prefetched> = match target {
            Target::InstanceId(id) if known(id).is_none() && may_prefetch(lookup.sources, id) => {
                homes
                    .iter()
                    .flat_map(resolve::Home::clients)
                    .map(|ec2| Prefetched {
                        place: ec2.place(),
                        id: id.clone(),
                        read: {
                            let (read_id, quiet) = (id.clone(), lookup.quiet);
                            tokio::spawn(async move {
                                sources::console_keys(&ec2, &read_id, wait, quiet, false).await
                            })
                        },
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let (ec2, instance) = locate_running(&homes, lookup, target, wait).await?;
        tracing::debug!(?instance, elapsed = ?started.elapsed(), "located");
        let connecting = on_located(&instance);
        if let Some(keys) = known(&instance.id) {
            let vouched = Vouched {
                keys,
                fingerprints: Vec::new(),
                block_digest: None,
            };
            let cold = Cold {
                instance,
                vouched,
                source: Source::Known,
            };
            return Ok((cold, connecting));
        }
        let wait = wait.saturating_sub(started.elapsed());
        let cold = Cold::of_prefetched(
            &ec2,
            instance,
            cache,
            wait,
            lookup.quiet,
            lookup.sources,
            prefetched,
        )
        .await?;
        tracing::debug!(source = cold.source.label(), elapsed = ?started.elapsed(), "sources read");
        Ok((cold, connecting))
    })
}

/// Whether the console may be read before the instance is located: it is
/// asked for, and no seed can be in the way (a seed bound to this id, or
/// any seed still waiting for its instance, would come first).
fn may_prefetch(sources: &Sources, id: &str) -> bool {
    if !sources.asks(SourceKind::Console) {
        return false;
    }
    if !sources.asks(SourceKind::Seed) {
        return true;
    }
    match SeedStore::open() {
        Ok(store) => store.bound_to(id).is_none() && !store.has_unbound(),
        Err(_) => true,
    }
}

/// Resolves `target` and gathers what the trusted sources say about its keys.
///
/// # Errors
/// Any resolve, AWS or console failure, typed for the exit code.
pub fn cold_lookup(
    lookup: Lookup<'_>,
    target: &Target,
    wait: Duration,
    cache: Option<&Cache>,
) -> Result<Cold> {
    aws::block_on(async {
        let started = Instant::now();
        let homes = resolve::homes(lookup.accounts).await;
        let (ec2, instance) = locate_running(&homes, lookup, target, wait).await?;
        let wait = wait.saturating_sub(started.elapsed());
        tracing::debug!(?instance, "resolved");
        Ok(Cold::of(&ec2, instance, cache, wait, lookup.quiet, lookup.sources).await?)
    })
}

/// Locates the instance in the accounts of `homes`, waiting up to `wait`
/// while it is still pending (ssh run right after run-instances).
async fn locate_running(
    homes: &[resolve::Home],
    lookup: Lookup<'_>,
    target: &Target,
    wait: Duration,
) -> Result<(Ec2, Instance), resolve::Error> {
    let deadline = Instant::now() + wait;
    loop {
        let found = resolve::locate(homes, target, lookup.resolve).await;
        match found {
            Err(resolve::Error::NotRunning { id, state, .. })
                if state == "pending" && Instant::now() + PENDING_POLL < deadline =>
            {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                note(
                    lookup.quiet,
                    &format!("waiting for {id} to start (pending; up to {left}s more)"),
                );
                tokio::time::sleep(PENDING_POLL).await;
            }
            other => return other,
        }
    }
}

/// How often a pending instance is asked about again.
const PENDING_POLL: Duration = Duration::from_secs(2);

/// The seed that holds this instance's keys, if its binding is proven: bound
/// by `seed bind` or an earlier proof, or named with a matching digest by
/// the instance's own user-data (which only someone who may launch or
/// modify the instance can write). A seed tag alone proves nothing.
/// Whether `instance` was launched before `seed` was made (beyond five
/// minutes of clock difference between this machine and AWS).
fn launched_before(instance: &Instance, seed: &SeedRecord) -> bool {
    const CLOCK_SLACK: i64 = 300;
    let made = i64::try_from(seed.created_at).unwrap_or(i64::MAX);
    instance
        .launched_at
        .is_some_and(|launched| launched + CLOCK_SLACK < made)
}

pub async fn seeded(ec2: &Ec2, instance: &Instance, quiet: bool) -> Option<SeedRecord> {
    let store = match SeedStore::open() {
        Ok(store) => store,
        Err(err) => {
            tracing::debug!("no seed store: {err:#}");
            return None;
        }
    };
    if let Some(record) = store.bound_to(&instance.id) {
        return Some(record);
    }
    if !store.has_unbound() {
        note_unproven_tag(instance, "no unused seed in the local seed store", quiet);
        return None;
    }
    let user_data = match ec2.user_data(&instance.id).await {
        Ok(user_data) => user_data.unwrap_or_default(),
        Err(err) => {
            note(
                quiet && instance.seed.is_none(),
                &format!(
                    "note: cannot read {}'s user-data to check for a seed ({err}); using its console output",
                    instance.id
                ),
            );
            return None;
        }
    };
    let Some((seed_id, digest)) = seed::binding_in_user_data(&user_data) else {
        note_unproven_tag(instance, "its user-data names no seed", quiet);
        return None;
    };
    let proven = match store.get(&seed_id) {
        // An instance launched before the seed was made cannot have been
        // launched with it: its user-data was changed later (a copied line).
        Some(record) if launched_before(instance, &record) => Err(anyhow::anyhow!(
            "{} was launched before seed {seed_id} was made, so the line was copied into its user-data later",
            instance.id
        )),
        Some(record) if seeds::keys_digest(&record.keys) == digest => {
            store.bind(&seed_id, &instance.id)
        }
        Some(_) => Err(anyhow::anyhow!(
            "the user-data's digest is not that of seed {seed_id}'s public keys"
        )),
        None => Err(anyhow::anyhow!("no seed {seed_id} in the local seed store")),
    };
    match proven {
        Ok(record) => Some(record),
        Err(err) => {
            note(
                false,
                &format!(
                    "note: not using seed {seed_id} for {}: {err:#}; using its console output",
                    instance.id
                ),
            );
            None
        }
    }
}

fn note_unproven_tag(instance: &Instance, why: &str, quiet: bool) {
    if let Some(tag) = instance.seed.as_deref() {
        note(
            quiet,
            &format!(
                "note: {} is tagged with seed {tag}, but {why}, and a tag alone never binds a seed; using its console output",
                instance.id
            ),
        );
    }
}

/// Where this verification leads and what to remember of it.
pub struct Remembered<'a> {
    /// The name looked up (`host` or `[host]:port`).
    pub lookup_name: &'a str,
    pub address: &'a str,
    /// The names the keys were recorded under.
    pub names: &'a [String],
    /// The EIC Endpoint the connection went through, if any.
    pub tunnel: Option<crate::store::cache::TunnelRecord>,
}

/// The user's own `@revoked` lines win over every source: a presented key
/// (plain, or inside a certificate), or the CA that signed a presented
/// certificate, that the file revokes is refused before anything is
/// verified, written or released to ssh.
///
/// # Errors
/// `file` (read from `path`) revokes what was presented.
pub fn refuse_revoked(
    file: &crate::store::known_hosts::KnownHosts,
    path: &std::path::Path,
    presented: &kex::Presented,
    address: &str,
) -> Result<()> {
    let fingerprint = |key: &PublicKey| key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    let mut suspects = vec![(
        presented.key.clone(),
        format!("the host key {}", fingerprint(&presented.key)),
    )];
    if let Some(cert) = &presented.certificate {
        let ca = PublicKey::from(cert.signature_key().clone());
        let what = format!("a certificate signed by the CA {}", fingerprint(&ca));
        suspects.push((ca, what));
    }
    for (key, what) in suspects {
        if let Some(line) = file.revokes(&key) {
            return Err(crate::error::KeysError::Revoked {
                address: address.to_string(),
                what,
                path: path.to_path_buf(),
                line,
            }
            .into());
        }
    }
    Ok(())
}

/// The keys less those the user's own file revokes (`@revoked`): never
/// printed as verified, published, remembered or written. None left is the
/// revocation error (exit 5).
///
/// # Errors
/// Every key is revoked.
fn without_revoked(
    file: &crate::store::known_hosts::KnownHosts,
    path: &std::path::Path,
    instance: &str,
    keys: Vec<PublicKey>,
    quiet: bool,
) -> Result<Vec<PublicKey>> {
    let (revoked, kept): (Vec<PublicKey>, Vec<PublicKey>) =
        keys.into_iter().partition(|k| file.revokes(k).is_some());
    for key in &revoked {
        crate::text::warn(
            quiet,
            &format!(
                "leaving out {instance}'s key {}: {} revokes it (@revoked)",
                key.fingerprint(ssh_key::HashAlg::Sha256),
                path.display()
            ),
        );
    }
    if kept.is_empty()
        && let Some(key) = revoked.first()
    {
        return Err(crate::error::KeysError::Revoked {
            address: instance.to_string(),
            what: format!("the host key {}", key.fingerprint(ssh_key::HashAlg::Sha256)),
            path: path.to_path_buf(),
            line: file.revokes(key).unwrap_or_default(),
        }
        .into());
    }
    Ok(kept)
}

/// A target's instance and the keys the sources vouch for, as `fetch`
/// prints them: looked up afresh, asked of the sources (the live server
/// probed where a source only lists fingerprints), less the keys the
/// user's own file (`file`, read from `path`) revokes.
///
/// # Errors
/// The lookup or the sources failed, or every key is revoked.
pub fn vouched_keys(
    lookup: Lookup<'_>,
    target: &str,
    wait: Duration,
    cache: Option<&Cache>,
    port: u16,
    (file, path): (&crate::store::known_hosts::KnownHosts, &std::path::Path),
) -> Result<(Cold, Vec<PublicKey>, &'static str)> {
    let quiet = lookup.quiet;
    let cold = cold_lookup(lookup, &Target::classify(target), wait, cache)?;
    let (keys, source) = cold.keys_without_connection(port)?;
    let keys = without_revoked(file, path, &cold.instance.id, keys, quiet)?;
    Ok((cold, keys, source))
}
