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

use crate::cache::{Cache, InstanceRecord};
use crate::cli::{Global, SyncArgs};
use crate::ec2::{Ec2, Instance, Query};
use crate::files::known_hosts_path;
use crate::known_hosts::{self, KnownHosts};
use crate::names::{is_plain_host_name, names_for};
use crate::{fetch, resolve, sources, verify};

/// One instance's result.
#[derive(Serialize)]
struct Outcome {
    instance: String,
    region: String,
    name: Option<String>,
    names: Vec<String>,
    /// added | replaced | unchanged | unavailable | mismatch
    status: &'static str,
    /// Where the keys came from (seed, cache, console-keys, console-fingerprints+probe).
    source: Option<&'static str>,
    reason: Option<String>,
    keys: Vec<String>,
    #[serde(skip)]
    public_keys: Vec<PublicKey>,
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
}

/// Some instances could not be verified; the rest were recorded.
#[derive(Debug, thiserror::Error)]
#[error(
    "{count} instance(s) could not be verified (listed above); the others were recorded — retry later, or with --wait for fresh instances"
)]
pub struct Incomplete {
    pub count: usize,
}

/// A presented key was not the one the console vouches for.
#[derive(Debug, thiserror::Error)]
#[error(
    "HOST KEY MISMATCH on {count} instance(s) (listed above): a live server presented a key its console does not list; nothing was written for them"
)]
pub struct Mismatches {
    pub count: usize,
}

pub fn run(global: &Global, args: &SyncArgs) -> Result<()> {
    let cache = Cache::from_args(&args.cache);
    let path = known_hosts_path(&args.file)?;
    let mut outcomes = verify::block_on(collect(global, args, cache.clone()))?;
    outcomes.sort_by(|a, b| (&a.region, &a.instance).cmp(&(&b.region, &b.instance)));

    if args.dry_run {
        let file = known_hosts::read(&path)?;
        for outcome in &mut outcomes {
            classify(&file, outcome);
        }
    } else {
        write(&path, args, &mut outcomes)?;
    }
    report(global, args, &path, &outcomes)?;

    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    match (count("mismatch"), count("unavailable")) {
        (0, 0) => Ok(()),
        (0, count) => Err(Incomplete { count }.into()),
        (count, _) => Err(Mismatches { count }.into()),
    }
}

/// Every matching running instance in each region, with its verified keys or why not.
async fn collect(global: &Global, args: &SyncArgs, cache: Option<Cache>) -> Result<Vec<Outcome>> {
    let home = Ec2::for_fleet(global.first_region(), global.profile.as_deref()).await?;
    let clients = home.with_regions(&global.region);
    let mut filters = args.filter.clone();
    filters.push(("instance-state-name".into(), vec!["running".into()]));

    let mut work = Vec::new();
    for ec2 in clients {
        for instance in ec2.describe(&Query::Filters(filters.clone())).await? {
            work.push((ec2.clone(), instance));
        }
    }
    let progress = progress_bar(global, work.len());
    let permits = Arc::new(tokio::sync::Semaphore::new(usize::from(args.concurrency)));
    let mut tasks = tokio::task::JoinSet::new();
    for (ec2, instance) in work {
        let permits = permits.clone();
        let cache = cache.clone();
        let (address_mode, aliases, port) = (global.address, args.aliases, args.port);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            verify_one(&ec2, instance, cache.as_ref(), address_mode, aliases, port).await
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
    Ok(outcomes)
}

fn progress_bar(global: &Global, len: usize) -> indicatif::ProgressBar {
    if global.quiet || !std::io::stderr().is_terminal() {
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

async fn verify_one(
    ec2: &Ec2,
    mut instance: Instance,
    cache: Option<&Cache>,
    address_mode: crate::cli::AddressMode,
    aliases: bool,
    port: u16,
) -> Outcome {
    let mut outcome = Outcome {
        instance: instance.id.clone(),
        region: instance.region.clone(),
        name: instance.name.clone(),
        names: Vec::new(),
        status: "unavailable",
        source: None,
        reason: None,
        keys: Vec::new(),
        public_keys: Vec::new(),
    };
    if let Err(err) = resolve::choose_side(&mut instance, None, address_mode) {
        outcome.reason = Some(err.to_string());
        return outcome;
    }
    outcome.names = names(&instance, aliases, port);
    match keys_for(ec2, &instance, cache, port).await {
        Ok((keys, source)) => {
            outcome.keys = keys.iter().map(known_hosts::key_line).collect();
            outcome.public_keys = keys;
            outcome.source = Some(source);
            outcome.status = "verified";
        }
        Err(err) => {
            if err.chain().any(|c| {
                matches!(
                    c.downcast_ref::<sources::Error>(),
                    Some(sources::Error::Mismatch { .. })
                )
            }) {
                outcome.status = "mismatch";
            }
            outcome.reason = Some(format!("{err:#}"));
        }
    }
    outcome
}

/// The names to record: the chosen side's DNS name and address, plus the
/// id and Name tag with `--aliases` (lowercased, as ssh passes them).
fn names(instance: &Instance, aliases: bool, port: u16) -> Vec<String> {
    let name = instance.name.as_deref().map(str::to_ascii_lowercase);
    let mut own: Vec<&str> = Vec::new();
    if aliases {
        own.push(&instance.id);
        own.extend(name.as_deref().filter(|n| is_plain_host_name(n)));
    }
    names_for(&own, port, instance)
}

/// Trusted keys: a bound seed, else keys verified before (ids are never
/// reused), else the console output.
async fn keys_for(
    ec2: &Ec2,
    instance: &Instance,
    cache: Option<&Cache>,
    port: u16,
) -> Result<(Vec<PublicKey>, &'static str)> {
    if let Some(record) = verify::seeded(instance)
        && let Some(keys) = record.public_keys()
    {
        return Ok((keys, "seed"));
    }
    if let Some(keys) = cache
        .and_then(|c| c.instance(&instance.id))
        .and_then(|r| r.public_keys())
    {
        return Ok((keys, "cache"));
    }
    let console = sources::console_keys(ec2, &instance.id, Duration::ZERO).await?;
    let (id, address) = (
        instance.id.clone(),
        instance.address().unwrap_or_default().to_string(),
    );
    let (keys, source) =
        tokio::task::spawn_blocking(move || fetch::trusted_keys(&id, &console, &address, port))
            .await??;
    if let Some(cache) = cache {
        cache.put_instance(&InstanceRecord::new(&instance.id, &keys, "console"));
    }
    Ok((keys, source))
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

fn write(path: &Path, args: &SyncArgs, outcomes: &mut [Outcome]) -> Result<()> {
    let hash_by_config = OnceCell::new();
    known_hosts::update(path, |file| {
        let mut changed = false;
        for outcome in outcomes.iter_mut() {
            classify(file, outcome);
            if outcome.status == "unchanged" || outcome.public_keys.is_empty() {
                continue;
            }
            let comment = format!("ec2-hostkey:{}", outcome.instance);
            let hash = || {
                args.file.hash
                    || *hash_by_config
                        .get_or_init(|| known_hosts::ssh_config_hashes(&outcome.names[0]))
            };
            changed |= file.replace(&outcome.names, &outcome.public_keys, hash, Some(&comment));
        }
        (changed, ())
    })?;
    Ok(())
}

fn report(global: &Global, args: &SyncArgs, path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
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
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    for outcome in outcomes.iter().filter(|o| o.reason.is_some()) {
        eprintln!(
            "ec2-hostkey: {} {}: {}",
            outcome.instance,
            outcome.status,
            outcome.reason.as_deref().unwrap_or_default()
        );
    }
    if !global.quiet {
        let verb = if args.dry_run {
            "would record"
        } else {
            "recorded"
        };
        eprintln!(
            "ec2-hostkey: {} instance(s): {} added, {} replaced, {} unchanged, {} unavailable, {} mismatch; {verb} in {}",
            outcomes.len(),
            count("added"),
            count("replaced"),
            count("unchanged"),
            count("unavailable"),
            count("mismatch"),
            path.display()
        );
    }
    Ok(())
}
