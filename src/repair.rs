//! `repair`: find known_hosts entries for EC2 names (hashed ones included, by
//! testing every name the region's instances hold), compare each with the
//! verified keys of the instance that holds that name now, and fix them:
//! stale → replaced with the verified keys; orphaned (an EC2-only name no
//! instance holds) → removed with `--prune`; fine → untouched.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use ssh_key::PublicKey;

use crate::cache::Cache;
use crate::cli::{Global, RepairArgs};
use crate::ec2::Ec2;
use crate::files::known_hosts_path;
use crate::fleet::{Fleet, is_ec2_shaped};
use crate::known_hosts::{self, Entry, HostMatch, KeyText, Kind, KnownHosts, lookup_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fine,
    Stale,
    Orphaned,
    /// Held by an instance whose keys cannot be verified now (no console keys).
    Unverified,
}

#[derive(Debug, Serialize)]
struct Finding {
    line: usize,
    names: Vec<String>,
    hashed: bool,
    status: Status,
    instance: Option<String>,
    key: String,
    #[serde(skip)]
    raw: Vec<u8>,
    /// Names on the line and the verified keys to put back for them.
    #[serde(skip)]
    replacements: Vec<(String, Vec<PublicKey>)>,
    /// Names on the line that keep the line's old key (not EC2's to judge).
    #[serde(skip)]
    keep_old: Vec<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    dry_run: bool,
    prune: bool,
    entries: &'a [Finding],
    fine: usize,
    stale: usize,
    orphaned: usize,
    unverified: usize,
    changed: bool,
}

pub fn run(global: &Global, args: &RepairArgs) -> Result<()> {
    let path = known_hosts_path(&args.file)?;
    let file = known_hosts::read(&path)?;
    let cache = Cache::from_args(&args.cache);
    let ports: BTreeSet<u16> = args.port.iter().copied().chain([22]).collect();
    let findings = crate::verify::block_on(async {
        let ec2 = Ec2::new(global.first_region(), global.profile.as_deref()).await?;
        let fleet = Fleet::load(&ec2).await?;
        let recorded = cache
            .as_ref()
            .map(|c| c.recorded_names())
            .unwrap_or_default();
        let candidates = hashed_candidates(&fleet, &ports, &recorded);
        let lines = ec2_lines(&file, &fleet, &candidates);
        let ids: BTreeSet<String> = lines
            .iter()
            .flat_map(|l| l.held.iter().map(|(_, id)| id.clone()))
            .collect();
        let keys = Fleet::verified_keys(&ec2, cache.as_ref(), ids.into_iter().collect()).await;
        anyhow::Ok(
            lines
                .into_iter()
                .map(|l| judge(l, &keys))
                .collect::<Vec<_>>(),
        )
    })?;

    let to_fix =
        |f: &Finding| f.status == Status::Stale || (args.prune && f.status == Status::Orphaned);
    let changed = !args.dry_run && findings.iter().any(to_fix);
    if changed {
        let hash = args.file.hash;
        known_hosts::update(&path, |file| {
            let fixes: Vec<&Finding> = findings.iter().filter(|f| to_fix(f)).collect();
            let (changed, ()) = apply(file, &fixes, hash);
            (changed, ())
        })?;
    }
    print_report(
        global,
        args,
        &path.display().to_string(),
        &findings,
        changed,
    )
}

/// A known_hosts line that names EC2 hosts, before its keys are judged.
struct Ec2Line {
    number: usize,
    raw: Vec<u8>,
    hashed: bool,
    key: KeyText,
    /// (lookup name, instance id) for names a live instance holds.
    held: Vec<(String, String)>,
    orphaned: Vec<String>,
    other: Vec<String>,
}

/// A name a hashed entry may hide: its lookup form, the bare host, and
/// whether we recorded it ourselves (so it is ours to call orphaned).
struct Candidate {
    lookup: String,
    bare: String,
    ours: bool,
}

/// Names hashed entries are tested against: every name an instance holds, on
/// every port of interest, and every name we recorded (from the cache).
fn hashed_candidates(fleet: &Fleet, ports: &BTreeSet<u16>, recorded: &[String]) -> Vec<Candidate> {
    let held = fleet.all_names().flat_map(|bare| {
        ports.iter().map(move |&p| Candidate {
            lookup: lookup_name(bare, p),
            bare: bare.to_string(),
            ours: false,
        })
    });
    let ours = recorded.iter().map(|lookup| Candidate {
        lookup: lookup.clone(),
        bare: bare_host(lookup),
        ours: true,
    });
    held.chain(ours).collect()
}

/// `[host]:port` → `host`.
fn bare_host(lookup: &str) -> String {
    lookup
        .strip_prefix('[')
        .and_then(|r| r.split_once("]:"))
        .map(|(h, _)| h.to_string())
        .unwrap_or_else(|| lookup.to_string())
}

fn ec2_lines(file: &KnownHosts, fleet: &Fleet, candidates: &[Candidate]) -> Vec<Ec2Line> {
    let mut out = Vec::new();
    for line in &file.lines {
        let Kind::Entry(entry) = &line.kind else {
            continue;
        };
        if entry.marker.is_some() {
            continue;
        }
        let commented = String::from_utf8_lossy(&line.raw).contains("ec2-hostkey:i-");
        let names = line_names(entry, candidates);
        let mut found = Ec2Line {
            number: line.number,
            raw: line.raw.clone(),
            hashed: entry.is_hashed(),
            key: entry.key.clone(),
            held: Vec::new(),
            orphaned: Vec::new(),
            other: Vec::new(),
        };
        for (lookup, bare, recorded) in names {
            let ours = commented || recorded;
            match fleet.holder(&bare) {
                Some(i) if i.state != "terminated" && i.state != "shutting-down" => {
                    found.held.push((lookup, i.id.clone()))
                }
                _ if ours || is_ec2_shaped(&bare) => found.orphaned.push(lookup),
                _ => found.other.push(lookup),
            }
        }
        if !found.held.is_empty() || !found.orphaned.is_empty() {
            out.push(found);
        }
    }
    out
}

/// (lookup name, bare host, recorded by us) for each literal name on the
/// line; for a hashed line, the candidate whose HMAC matches.
fn line_names(entry: &Entry, candidates: &[Candidate]) -> Vec<(String, String, bool)> {
    if entry.is_hashed() {
        return candidates
            .iter()
            .find(|c| entry.match_host(&c.lookup) == HostMatch::Hashed)
            .map(|c| (c.lookup.clone(), c.bare.clone(), c.ours))
            .into_iter()
            .collect();
    }
    entry
        .hosts
        .split(',')
        .filter(|p| !p.starts_with('!') && !p.contains(['*', '?']) && !p.is_empty())
        .map(|p| {
            let lookup = p.to_ascii_lowercase();
            (bare_host(&lookup), lookup, false)
        })
        .map(|(bare, lookup, ours)| (lookup, bare, ours))
        .collect()
}

fn judge(line: Ec2Line, keys: &HashMap<String, Vec<PublicKey>>) -> Finding {
    let mut status = if line.held.is_empty() {
        Status::Orphaned
    } else {
        Status::Fine
    };
    let mut replacements = Vec::new();
    for (lookup, id) in &line.held {
        match keys.get(id) {
            None => status = Status::Unverified,
            Some(verified) => {
                if !verified.iter().any(|k| KeyText::of(k) == line.key)
                    && status != Status::Unverified
                {
                    status = Status::Stale;
                }
                replacements.push((lookup.clone(), verified.clone()));
            }
        }
    }
    let mut keep_old = line.other.clone();
    if status == Status::Stale {
        keep_old.extend(line.orphaned.iter().cloned());
    }
    let mut names: Vec<String> = line.held.iter().map(|(n, _)| n.clone()).collect();
    names.extend(line.orphaned.iter().cloned());
    Finding {
        line: line.number,
        names,
        hashed: line.hashed,
        status,
        instance: line.held.first().map(|(_, id)| id.clone()),
        key: describe(&line.key),
        raw: line.raw,
        replacements,
        keep_old,
    }
}

fn describe(key: &KeyText) -> String {
    match PublicKey::from_openssh(&key.to_string()) {
        Ok(k) => crate::sources::describe_key(&k),
        Err(_) => key.algorithm.clone(),
    }
}

/// Removes the lines to fix and puts back verified entries for their names.
fn apply(file: &mut KnownHosts, fixes: &[&Finding], hash: bool) -> (bool, ()) {
    let before = file.lines.len();
    let mut put_back: Vec<(String, KeyText, bool)> = Vec::new();
    file.lines.retain(|line| {
        let Some(fix) = fixes.iter().find(|f| f.raw == line.raw) else {
            return true;
        };
        if let Kind::Entry(entry) = &line.kind {
            for name in &fix.keep_old {
                put_back.push((name.clone(), entry.key.clone(), fix.hashed));
            }
        }
        false
    });
    let changed = file.lines.len() != before;
    for fix in fixes.iter().filter(|f| f.status == Status::Stale) {
        for (name, keys) in &fix.replacements {
            file.replace(
                std::slice::from_ref(name),
                keys,
                || hash || fix.hashed,
                None,
            );
        }
    }
    for (name, key, hashed) in put_back {
        file.add_text(&name, &key, hashed);
    }
    (changed, ())
}

fn print_report(
    global: &Global,
    args: &RepairArgs,
    file: &str,
    findings: &[Finding],
    changed: bool,
) -> Result<()> {
    let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            file: file.to_string(),
            dry_run: args.dry_run,
            prune: args.prune,
            entries: findings,
            fine: count(Status::Fine),
            stale: count(Status::Stale),
            orphaned: count(Status::Orphaned),
            unverified: count(Status::Unverified),
            changed,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let verb = if args.dry_run { "would be" } else { "" };
    for f in findings
        .iter()
        .filter(|f| f.status != Status::Fine || global.verbose > 0)
    {
        let what = match f.status {
            Status::Fine => "matches the instance's verified key".to_string(),
            Status::Stale => format!(
                "{} is not {}'s key; {verb} replaced with its verified keys",
                f.key,
                f.instance.as_deref().unwrap_or("?")
            ),
            Status::Orphaned if args.prune => {
                format!("no instance holds this name; {verb} removed")
            }
            Status::Orphaned => {
                "no instance holds this name (kept; --prune removes it)".to_string()
            }
            Status::Unverified => format!(
                "held by {}, whose keys cannot be verified now (no console keys); left as is",
                f.instance.as_deref().unwrap_or("?")
            ),
        };
        let hashed = if f.hashed { " (hashed)" } else { "" };
        writeln!(
            out,
            "{:<10} line {:<5} {}{hashed}: {what}",
            format!("{:?}", f.status).to_lowercase(),
            f.line,
            f.names.join(",")
        )?;
    }
    writeln!(
        out,
        "{file}: {} EC2 entries: {} fine, {} stale, {} orphaned, {} unverified{}",
        findings.len(),
        count(Status::Fine),
        count(Status::Stale),
        count(Status::Orphaned),
        count(Status::Unverified),
        if changed {
            "; file updated"
        } else if args.dry_run {
            "; dry run, nothing changed"
        } else {
            "; nothing to change"
        }
    )?;
    Ok(())
}
