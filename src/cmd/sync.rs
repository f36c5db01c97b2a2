//! `sync`: verify and record the host keys of every matching running
//! instance — for people and tools (Ansible, rsync, plain ssh) that connect
//! without the ProxyCommand. DescribeInstances is paginated, console output
//! is fetched a few instances at a time, and throttling slows the run down
//! (more retries, with backoff) rather than failing it. All entries are written in one
//! locked, atomic update at the end.

use std::cell::OnceCell;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use ssh_key::PublicKey;

use super::settings::{KnownHostsFile, Settings};
use crate::aws::{
    self,
    ec2::{Ec2, Instance, Query},
};
use crate::cli::SyncArgs;
use crate::store::cache::Cache;
use crate::store::known_hosts::{self, KnownHosts};
use crate::trust::certify;
use crate::trust::fleet::{Reach, warn_unreachable};
use crate::trust::names::{OnNameMove, PublicNames, is_recordable_tag, moved_from, names_for};
use crate::trust::policy::{self, Found, Sources};
use crate::trust::publish::Publisher;
use crate::trust::resolve;

/// One instance's result.
#[derive(Serialize)]
struct Outcome {
    instance: String,
    region: String,
    /// The configured account it was found in (`name (id)`), when accounts are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    name: Option<String>,
    names: Vec<String>,
    /// added | replaced | unchanged | unavailable | mismatch
    status: &'static str,
    /// Where the keys came from (seed, store, cache, console-keys, console-fingerprints+probe).
    source: Option<&'static str>,
    /// Who verified, when the team store's record vouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_by: Option<String>,
    /// With --publish: new | exists | failed: why | not-from-a-source.
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    /// Team-store records of the instance that list other keys (re-keyed, or tampered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    store_disagrees: Vec<String>,
    reason: Option<String>,
    keys: Vec<String>,
    /// Aliases left out: known_hosts has the user's own entries for them, with other keys.
    not_recorded: Vec<String>,
    /// With --aliases: the instance the Name tag's lines were recorded for,
    /// when the tag has moved to this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: Option<String>,
    /// With --certify: current | renewed (why) | failed: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<String>,
    #[serde(skip)]
    public_keys: Vec<PublicKey>,
    #[serde(skip)]
    public_names: Vec<String>,
    /// The instance as EC2 described it, for certificates' principals.
    #[serde(skip)]
    facts: Option<Instance>,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    dry_run: bool,
    instances: &'a [Outcome],
    added: usize,
    replaced: usize,
    unchanged: usize,
    unavailable: usize,
    mismatch: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<usize>,
}

pub fn run(settings: &Settings, args: &SyncArgs) -> Result<()> {
    let cache = settings.cache(&args.cache);
    let sources = settings.sources(&args.source);
    let destination = settings.known_hosts(&args.file)?;
    let path = destination.path.clone();
    // The user's @revoked lines, read once: a key they revoke is never
    // published, remembered or recorded, whatever vouches for it.
    let revocations = Arc::new(known_hosts::read(&path)?);
    let (mut outcomes, unreachable) = aws::block_on(collect(
        settings,
        args,
        &sources,
        cache.clone(),
        revocations,
    ))?;
    outcomes.sort_by(|a, b| (&a.region, &a.instance).cmp(&(&b.region, &b.instance)));
    drop_shared_names(&mut outcomes);
    if unreachable > 0 {
        drop_names_others_may_hold(&mut outcomes);
    }

    if args.dry_run {
        let file = known_hosts::read(&path)?;
        let public = PublicNames::from_addresses(outcomes.iter().flat_map(|o| &o.public_names));
        for outcome in &mut outcomes {
            plan(&file, outcome, &public, settings.on_name_move);
        }
    } else {
        write(&destination, &mut outcomes, settings.on_name_move)?;
    }
    let uncertified = if args.certify && !args.dry_run {
        certify_due(settings, args, &mut outcomes)?
    } else {
        0
    };
    report(args, &path, &outcomes)?;
    if uncertified > 0 {
        anyhow::bail!(
            "{uncertified} instance(s) could not get a new certificate (see \"certificate\" in the report, or the lines above)"
        );
    }

    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let conflicts = outcomes
        .iter()
        .filter(|o| o.published.as_deref() == Some("conflict"))
        .count();
    match (count("mismatch"), count("unavailable")) {
        (0, _) if unreachable > 0 => {
            Err(crate::error::AccountsSkipped { count: unreachable }.into())
        }
        (0, 0) if conflicts > 0 => Err(crate::error::StoreConflicts { count: conflicts }.into()),
        (0, 0) => Ok(()),
        (0, count) => Err(crate::error::SyncIncomplete { count }.into()),
        (count, _) => Err(crate::error::SyncMismatches { count }.into()),
    }
}

/// Every matching running instance in each region, with its verified keys or why not.
async fn collect(
    settings: &Settings,
    args: &SyncArgs,
    sources: &Sources,
    cache: Option<Cache>,
    revocations: Arc<KnownHosts>,
) -> Result<(Vec<Outcome>, usize)> {
    let publisher = match (&sources.store, args.publish) {
        (Some(url), true) => {
            // The team store is the base account's (or --store-owner's), whichever account holds the instance.
            let base = Ec2::for_fleet(&settings.aws).await?;
            Some(Arc::new(Publisher::open(base.sdk_config(), url).await?))
        }
        (None, true) => {
            return Err(crate::error::ConfigError::Flag {
                flag: "--publish",
                problem: "no team store to publish to".into(),
                fix: "pass --store s3://BUCKET/PREFIX, or set store in the config file",
            }
            .into());
        }
        _ => None,
    };
    let mut filters = args.filter.clone();
    filters.push(("instance-state-name".into(), vec!["running".into()]));
    let query = Query::Filters(filters);
    let mut reach = Reach::of(&settings.accounts).await?;
    let answers = reach.ask(|ec2| ec2.describe(&query)).await?;
    warn_unreachable(&reach.unreachable, "its instances were not synced");
    let unreachable = reach.unreachable.len();
    let mut work = Vec::new();
    for (ec2, instances) in answers {
        work.extend(instances.into_iter().map(|i| (ec2.clone(), i)));
    }
    let progress = progress_bar(settings.quiet, work.len());
    let permits = Arc::new(tokio::sync::Semaphore::new(usize::from(args.concurrency)));
    let mut tasks = tokio::task::JoinSet::new();
    for (ec2, instance) in work {
        let permits = permits.clone();
        let cache = cache.clone();
        let job = Job {
            address_mode: settings.resolve.address,
            aliases: args.aliases,
            port: args.port,
            quiet: settings.quiet,
            sources: sources.clone(),
            publisher: publisher.clone(),
            revocations: revocations.clone(),
        };
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            verify_one(&ec2, instance, cache.as_ref(), &job).await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined?;
        progress.set_message(outcome.instance.clone());
        progress.inc(1);
        outcomes.push(outcome);
    }
    progress.finish_and_clear();
    Ok((outcomes, unreachable))
}

fn progress_bar(quiet: bool, len: usize) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "ec2-hostkey: sync {bar:20} {pos}/{len} instances ({eta} left) {wide_msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What every instance's verification is asked to do.
struct Job {
    address_mode: resolve::AddressMode,
    aliases: bool,
    port: u16,
    quiet: bool,
    sources: Sources,
    /// With --publish.
    publisher: Option<Arc<Publisher>>,
    /// The known_hosts file as read before the run, for its `@revoked` lines.
    revocations: Arc<KnownHosts>,
}

async fn verify_one(
    ec2: &Ec2,
    mut instance: Instance,
    cache: Option<&Cache>,
    job: &Job,
) -> Outcome {
    let Job {
        address_mode,
        aliases,
        port,
        quiet,
        ref sources,
        ref publisher,
        ref revocations,
    } = *job;
    let published_instance = publisher.as_ref().map(|_| instance.clone());
    let mut outcome = Outcome {
        instance: instance.id.clone(),
        region: instance.region.clone(),
        account: instance.account_name.clone(),
        name: instance.name.as_deref().map(crate::text::sanitize),
        names: Vec::new(),
        status: "unavailable",
        source: None,
        verified_by: None,
        published: None,
        store_disagrees: Vec::new(),
        reason: None,
        keys: Vec::new(),
        not_recorded: Vec::new(),
        moved_from: None,
        certificate: None,
        public_keys: Vec::new(),
        public_names: instance.public_names().map(str::to_string).collect(),
        facts: None,
    };
    if let Err(err) = resolve::choose_side(&mut instance, None, address_mode) {
        outcome.reason = Some(err.to_string());
        return outcome;
    }
    outcome.names = names(&instance, aliases, port);
    if let Some(tag) = instance
        .name
        .as_deref()
        .filter(|t| aliases && !is_recordable_tag(t))
    {
        let tag = crate::text::sanitize(&tag.to_ascii_lowercase());
        outcome.reason = Some(format!(
            "Name tag {tag:?} not recorded as an alias: only a single plain label (like web-1) is, since a tag spelled like a host name or address could shadow someone else's host"
        ));
        outcome.not_recorded.push(tag);
    }
    let facts = instance.clone();
    match policy::keys_without_connection(ec2, instance, cache, port, quiet, sources).await {
        Ok(mut found) => {
            let before = found.keys.len();
            found.keys.retain(|k| revocations.revokes(k).is_none());
            if found.keys.len() < before {
                outcome.reason = Some(format!(
                    "{} key(s) left out: your known_hosts revokes them (@revoked)",
                    before - found.keys.len()
                ));
            }
            if found.keys.is_empty() {
                outcome.status = "mismatch";
                return outcome;
            }
            outcome.keys = found.keys.iter().map(known_hosts::key_line).collect();
            outcome.source = Some(found.source);
            outcome.verified_by = found.verified_by.clone();
            outcome.status = "verified";
            if let (Some(publisher), Some(instance)) = (publisher, published_instance) {
                publish_one(publisher, &instance, &found, &mut outcome).await;
            }
            outcome.public_keys = found.keys;
            outcome.facts = Some(facts);
        }
        Err(err) => {
            // What exits 5 on its own (a presented key not vouched for, a
            // self-contradictory console, an SSM read contradicting verified keys).
            if crate::error::exit_code(&err) == crate::error::MISMATCH {
                outcome.status = "mismatch";
            }
            outcome.reason = Some(format!("{err:#}"));
        }
    }
    outcome
}

/// `--certify`: a new certificate for every verified instance whose sshd
/// does not present a current one of the CA's: signed for the vouched keys
/// it presents (only those), logged, installed through Systems Manager and
/// checked. How many failed.
fn certify_due(settings: &Settings, args: &SyncArgs, outcomes: &mut [Outcome]) -> Result<usize> {
    let ca_path = Settings::ca_path(&args.ca)?;
    let authority = crate::store::ca::load(&ca_path)?;
    let how = certify::Installing {
        accounts: &settings.accounts,
        document: &args.install_document,
        wait: settings.wait(None),
        quiet: settings.quiet,
        port: args.port,
        authority: authority.public_key(),
    };
    let mut failed = 0;
    for outcome in outcomes.iter_mut() {
        let Some(instance) = outcome.facts.clone() else {
            continue;
        };
        let Some(why) = certify::renewal_due(&instance, args.port, authority.public_key()) else {
            outcome.certificate = Some("current".into());
            continue;
        };
        let renewed = (|| -> Result<()> {
            let presented = certify::presented_keys(&instance, args.port)?;
            let vouched_by = outcome.source.unwrap_or("the sources");
            let keys = certify::only_presented(
                &instance,
                &presented,
                outcome.public_keys.clone(),
                vouched_by,
            )?;
            let signed = keys
                .iter()
                .map(|key| {
                    Ok((
                        certify::sign(&authority, &instance, key, args.validity, false)?,
                        key,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            let issued: Vec<crate::store::ca::Issued> = signed
                .iter()
                .map(|(cert, _)| crate::store::ca::Issued::of(&instance.id, cert))
                .collect();
            crate::store::ca::record_issued(&ca_path, &issued)?;
            certify::install(&how, &instance, &signed)
        })();
        outcome.certificate = Some(match renewed {
            Ok(()) => format!("renewed ({why})"),
            Err(e) => {
                failed += 1;
                let why = crate::text::sanitize(&format!("{e:#}"));
                crate::text::warn(
                    settings.quiet,
                    &format!("{}: no new certificate: {why}", instance.id),
                );
                format!("failed: {why}")
            }
        });
    }
    Ok(failed)
}

/// Publishes one instance's verified keys, noting the result in its outcome.
async fn publish_one(
    publisher: &Publisher,
    instance: &Instance,
    found: &Found,
    outcome: &mut Outcome,
) {
    outcome.published = Some(match publisher.publish_found(instance, found).await {
        None => "not-from-a-source".into(),
        Some(Ok(done)) => {
            outcome.store_disagrees = done.disagreeing;
            if let Some(object) = done.conflict {
                outcome.reason = Some(format!(
                    "not published: {object} is taken by an object that is not this record (junk, or other keys): someone other than ec2-hostkey writes to the team store"
                ));
            }
            done.published.label().into()
        }
        Some(Err(err)) => format!("failed: {err}"),
    });
}

/// The names to record: the chosen side's DNS name and address, plus the
/// id and Name tag with `--aliases` (lowercased, as ssh passes them).
fn names(instance: &Instance, aliases: bool, port: u16) -> Vec<String> {
    let name = instance.name.as_deref().map(str::to_ascii_lowercase);
    let mut own: Vec<&str> = Vec::new();
    if aliases {
        own.push(&instance.id);
        own.extend(name.as_deref().filter(|n| is_recordable_tag(n)));
    }
    names_for(&own, port, instance)
}

/// A name several matching instances hold names none of them: a Name tag
/// carried twice (in any case), or a private address or DNS name that two
/// VPCs or accounts both use. It is not recorded for any, and each says so.
fn drop_shared_names(outcomes: &mut [Outcome]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for outcome in outcomes.iter() {
        let mine: std::collections::BTreeSet<String> = outcome
            .names
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        for name in mine {
            *seen.entry(name).or_default() += 1;
        }
    }
    for outcome in outcomes.iter_mut() {
        let shared: Vec<String> = outcome
            .names
            .iter()
            .filter(|n| seen.get(&n.to_ascii_lowercase()).copied().unwrap_or(0) > 1)
            .cloned()
            .collect();
        leave_out(outcome, shared, "several instances hold that name");
    }
}

/// With an account that could not be asked, only the names AWS hands out
/// once (the id, public addresses and DNS names) are recorded: a Name tag or
/// a private address could be held in that account too.
fn drop_names_others_may_hold(outcomes: &mut [Outcome]) {
    for outcome in outcomes.iter_mut() {
        let unique = |name: &String| {
            let bare = crate::trust::names::bare_host(name);
            bare == outcome.instance
                || outcome
                    .public_names
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(bare))
        };
        let others: Vec<String> = outcome
            .names
            .iter()
            .filter(|n| !unique(n))
            .cloned()
            .collect();
        leave_out(
            outcome,
            others,
            "an account that could not be asked could hold that name too",
        );
    }
}

/// Takes `names` out of what `outcome` records, saying why.
fn leave_out(outcome: &mut Outcome, names: Vec<String>, why: &str) {
    if names.is_empty() {
        return;
    }
    outcome.names.retain(|n| !names.contains(n));
    let why = format!("not recorded under {}: {why}", names.join(", "));
    // Appended: a mismatch or a revocation said before stays said.
    outcome.reason = Some(match outcome.reason.take() {
        Some(before) => format!("{before}; {why}"),
        None => why,
    });
    outcome.not_recorded.extend(names);
}

/// Sets a verified outcome's status to what recording it does to `file`.
fn classify(file: &KnownHosts, outcome: &mut Outcome) {
    if outcome.status != "verified" {
        return;
    }
    outcome.status = if outcome
        .names
        .iter()
        .all(|n| file.has_exactly(n, &outcome.public_keys))
    {
        "unchanged"
    } else if outcome.names.iter().any(|n| !file.find(n).is_empty()) {
        "replaced"
    } else {
        "added"
    };
}

fn write(
    destination: &KnownHostsFile,
    outcomes: &mut [Outcome],
    on_move: OnNameMove,
) -> Result<()> {
    let hash_by_config = OnceCell::new();
    let public = PublicNames::from_addresses(outcomes.iter().flat_map(|o| &o.public_names));
    known_hosts::update(&destination.path, |file| {
        let mut changed = false;
        for outcome in outcomes.iter_mut() {
            plan(file, outcome, &public, on_move);
            if outcome.status == "unchanged" || outcome.public_keys.is_empty() {
                continue;
            }
            let hash = || *hash_by_config.get_or_init(|| destination.hash_for(&outcome.names[0]));
            let recorded = file.record(
                &outcome.names,
                &outcome.public_keys,
                hash,
                &known_hosts::mark(&outcome.instance),
                |n| public.owns(n),
            );
            changed |= recorded.changed;
        }
        (changed, ())
    })?;
    Ok(())
}

/// Leaves out of `outcome` the names the user's own lines keep from us (with
/// a note), and sets its status to what recording the rest does to `file`:
/// the same for `--dry-run` and a real run.
fn plan(file: &KnownHosts, outcome: &mut Outcome, public: &PublicNames, on_move: OnNameMove) {
    let foreign = file.refused(&outcome.names, &outcome.public_keys, |n| public.owns(n));
    note_not_recorded(outcome, foreign);
    let claimed = claimed_tag_aliases(file, outcome);
    note_not_recorded(outcome, claimed);
    note_moved_alias(file, outcome, on_move);
    classify(file, outcome);
}

/// A Name-tag alias whose lines were recorded for another instance has
/// moved to this one: said (warn), left unrecorded (refuse), or followed
/// silently (accept).
fn note_moved_alias(file: &KnownHosts, outcome: &mut Outcome, on_move: OnNameMove) {
    let Some(tag) = outcome.name.as_deref().map(str::to_ascii_lowercase) else {
        return;
    };
    let moved = outcome
        .names
        .iter()
        .filter(|n| crate::trust::names::bare_host(n) == tag)
        .find_map(|n| Some((n.clone(), moved_from(file, n, &outcome.instance)?)));
    let Some((alias, before)) = moved else {
        return;
    };
    if on_move == OnNameMove::Accept {
        return;
    }
    let said = format!("Name tag {tag} moved here from {before}");
    outcome.reason = Some(match (on_move, outcome.reason.take()) {
        (OnNameMove::Refuse, _) => {
            outcome.names.retain(|n| *n != alias);
            outcome.not_recorded.push(alias);
            format!(
                "{said}; not recorded under it (--on-name-move refuse; `ec2-hostkey forget {tag}` accepts the move)"
            )
        }
        (_, Some(reason)) => format!("{said}; {reason}"),
        (_, None) => said,
    });
    outcome.moved_from = Some(before);
}

/// The Name-tag aliases of `outcome` that any line of the user's applies to
/// (a wildcard or `@cert-authority` line included) without holding its keys.
fn claimed_tag_aliases(file: &KnownHosts, outcome: &Outcome) -> Vec<String> {
    let Some(tag) = outcome.name.as_deref().map(str::to_ascii_lowercase) else {
        return Vec::new();
    };
    outcome
        .names
        .iter()
        .filter(|n| crate::trust::names::bare_host(n) == tag)
        .filter(|n| {
            file.claims(n)
                && (file.foreign_refuses(n, &outcome.public_keys) || !file.has_foreign(n))
        })
        .cloned()
        .collect()
}

/// Leaves out aliases that the user's own entries hold with other keys, and says so.
fn note_not_recorded(outcome: &mut Outcome, foreign: Vec<String>) {
    if foreign.is_empty() {
        return;
    }
    outcome.names.retain(|n| !foreign.contains(n));
    outcome.reason = Some(format!(
        "not recorded under {}: known_hosts has entries for them that ec2-hostkey did not write, with other keys (remove them with ssh-keygen -R if they are stale)",
        foreign.join(", ")
    ));
    outcome.not_recorded.extend(foreign);
}

fn report(args: &SyncArgs, path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let published = |what: &str| {
        outcomes
            .iter()
            .filter(|o| o.published.as_deref() == Some(what))
            .count()
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            file: path.display().to_string(),
            dry_run: args.dry_run,
            instances: outcomes,
            added: count("added"),
            replaced: count("replaced"),
            unchanged: count("unchanged"),
            unavailable: count("unavailable"),
            mismatch: count("mismatch"),
            published: args.publish.then(|| published("new")),
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    for outcome in outcomes.iter().filter(|o| o.reason.is_some()) {
        writeln!(
            out,
            "{} {}: {}",
            outcome.instance,
            outcome.status,
            crate::text::sanitize(outcome.reason.as_deref().unwrap_or_default())
        )?;
    }
    let verb = if args.dry_run {
        "would record"
    } else {
        "recorded"
    };
    writeln!(
        out,
        "{} instance(s): {} added, {} replaced, {} unchanged, {} unavailable, {} mismatch; {verb} in {}",
        outcomes.len(),
        count("added"),
        count("replaced"),
        count("unchanged"),
        count("unavailable"),
        count("mismatch"),
        path.display()
    )?;
    if args.publish {
        let failed: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| {
                o.published
                    .as_deref()
                    .is_some_and(|p| p.starts_with("failed"))
            })
            .collect();
        for outcome in &failed {
            writeln!(
                out,
                "{} not published: {}",
                outcome.instance,
                crate::text::sanitize(outcome.published.as_deref().unwrap_or_default())
            )?;
        }
        writeln!(
            out,
            "published {} new record(s); {} already in the store; {} failed",
            published("new"),
            published("exists"),
            failed.len()
        )?;
    }
    for outcome in outcomes.iter().filter(|o| !o.store_disagrees.is_empty()) {
        writeln!(
            out,
            "{}: the team store holds a record with other keys (verified by {}); the fresh read was used: re-keyed, or that record was tampered with",
            outcome.instance,
            outcome.store_disagrees.join("; ")
        )?;
    }
    Ok(())
}
