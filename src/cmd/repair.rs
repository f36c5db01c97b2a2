//! `repair`: find known_hosts entries for EC2 names (hashed ones included),
//! compare each with the verified keys of the instance that holds that name
//! now, and fix them: stale → replaced with the verified keys; orphaned (a
//! name of ours no instance holds) → removed with `--prune`; fine → untouched.
//!
//! Only lines the tool may change are judged (SECURITY.md, trust rule 3):
//! lines it wrote (marked `ec2-hostkey:<id>`, plain or hashed) and lines for
//! AWS-assigned public names. A line for a Name tag, a DNS alias or a
//! private address that the tool did not write is someone else's: it is
//! reported as "not ours" and left byte for byte.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use ssh_key::PublicKey;

use super::settings::Settings;
use crate::aws::{self, ec2::Ec2};
use crate::cli::RepairArgs;
use crate::store::known_hosts::{self, Entry, HostMatch, KeyText, Kind, KnownHosts, lookup_name};
use crate::trust::fleet::{Fleet, Holder, Reach, Unreachable, names_of, warn_unreachable};
use crate::trust::names::{PublicNames, bare_host};
use crate::trust::publish;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fine,
    Stale,
    Orphaned,
    /// Held by an instance whose keys cannot be verified now, or by several.
    Unverified,
    /// Held by an instance, but the line is the user's own, for a name that
    /// is not AWS-assigned: never changed.
    NotOurs,
}

#[derive(Debug, Serialize)]
struct Finding {
    line: usize,
    names: Vec<String>,
    hashed: bool,
    status: Status,
    instance: Option<String>,
    key: String,
    /// Why it is unverified or not ours.
    reason: Option<String>,
    /// Names on the line that now select another instance (Name tags, DNS aliases).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    moved: Vec<Moved>,
    #[serde(skip)]
    raw: Vec<u8>,
    /// Names on the line the fix takes, and the verified keys to put back for each.
    #[serde(skip)]
    replacements: Vec<(String, Vec<PublicKey>)>,
    /// Orphaned names on the line (removed by `--prune`).
    #[serde(skip)]
    orphans: Vec<String>,
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
    not_ours: usize,
    changed: bool,
}

pub fn run(settings: &Settings, args: &RepairArgs) -> Result<()> {
    let destination = settings.known_hosts(&args.file)?;
    let path = destination.path.clone();
    let file = known_hosts::read(&path)?;
    let cache = settings.cache(&args.cache);
    let sources = settings.sources(&args.source);
    let ports: BTreeSet<u16> = args.port.iter().copied().chain([22]).collect();
    let findings = aws::block_on(async {
        let mut fleet = Fleet::load(Reach::of(&settings.accounts).await?).await?;
        fleet
            .unreachable
            .extend(
                settings
                    .left_out_accounts()
                    .into_iter()
                    .map(|account| Unreachable {
                        why: format!(
                    "account {account} was not asked (left out by --account, or its search = false)"
                ),
                        account,
                    }),
            );
        warn_unreachable(
            &fleet.unreachable,
            "lines its instances may hold are not judged, and never pruned",
        );
        let asked_accounts = asked_accounts(settings, &fleet);
        let owner_of = |id: &str| cache.as_ref()?.instance(id)?.account;
        let missing = missing_marks(&file, &fleet, owner_of, &asked_accounts).await;
        let publisher = match &sources.store {
            Some(url) if !args.dry_run => {
                let base = Ec2::new(&settings.aws).await?;
                Some(publish::Publisher::open(base.sdk_config(), url).await?)
            }
            _ => None,
        };
        let lines = ec2_lines(&file, &fleet, &ports, &missing);
        let ids: BTreeSet<String> = lines
            .iter()
            .flat_map(|l| l.held.iter().map(|(_, id)| id.clone()))
            .collect();
        let (keys, why) = fleet
            .verified_keys(
                cache.as_ref(),
                ids.into_iter().collect(),
                22,
                &sources,
                publisher.as_ref(),
            )
            .await;
        let findings: Vec<Finding> = lines.into_iter().map(|l| judge(l, &keys, &why)).collect();
        anyhow::Ok((findings, fleet.public))
    })?;
    let (findings, public) = findings;

    let to_fix = |f: &Finding| f.status == Status::Stale || (args.prune && !f.orphans.is_empty());
    let changed = !args.dry_run && findings.iter().any(to_fix);
    if changed {
        let hash = destination.always_hash();
        known_hosts::update(&path, |file| {
            let fixes: Vec<&Finding> = findings.iter().filter(|f| to_fix(f)).collect();
            (apply(file, &fixes, hash, args.prune, &public), ())
        })?;
    }
    print_report(
        settings,
        args,
        &path.display().to_string(),
        &findings,
        changed,
    )
}

/// What became of the instances of marked lines that no place asked holds.
#[derive(Default)]
struct Missing {
    /// Those that may live elsewhere, with why their lines are not judged.
    unchecked: HashMap<String, String>,
    /// Those known to be gone: their lines are orphaned.
    gone: BTreeSet<String>,
}

/// The instances of the file's marked lines that no place asked holds:
/// those that may live elsewhere (another region, an account that could
/// not be asked or is not configured), each with why its lines are not
/// judged (and never pruned); and those known to be gone (terminated, or
/// unknown to the account that owned them), whose lines are orphaned.
async fn missing_marks(
    file: &KnownHosts,
    fleet: &Fleet,
    owner_of: impl Fn(&str) -> Option<String>,
    asked_accounts: &BTreeSet<String>,
) -> Missing {
    let missing: BTreeSet<String> = file
        .entries()
        .filter_map(|(_, e)| e.marked_instance())
        .filter(|id| fleet.by_id(id).is_none())
        .map(str::to_string)
        .collect();
    let mut gone: BTreeSet<String> = missing.intersection(&fleet.gone).cloned().collect();
    let mut unchecked = HashMap::new();
    if missing.is_empty() {
        return Missing { unchecked, gone };
    }
    for (ec2, asked) in fleet.accounts() {
        match Fleet::find_elsewhere(ec2, &asked, missing.iter().cloned().collect()).await {
            Ok(found) => {
                for i in found {
                    if i.state == "terminated" {
                        gone.insert(i.id);
                        continue;
                    }
                    let why = format!(
                        "its instance {} is in {}, a region this repair did not ask; not checked (add --region {})",
                        i.id, i.region, i.region
                    );
                    unchecked.insert(i.id, why);
                }
            }
            Err(err) => unchecked.extend(missing.iter().map(|id| {
                let why = format!(
                    "{id} is in none of the regions asked ({}), and the others could not be asked ({err}); not checked",
                    asked.join(", ")
                );
                (id.clone(), why)
            })),
        }
    }
    // One account: found nowhere, it is gone. With accounts configured, only
    // if the account that owned it (as recorded when it was verified) was
    // asked: otherwise it may live in one not asked or not configured.
    let configured =
        fleet.clients.iter().any(|c| c.account().is_some()) || !fleet.unreachable.is_empty();
    let why = if fleet.unreachable.is_empty() {
        "its instance is in none of the accounts configured, and may be in one that is not; not checked (`forget ID` removes its lines)".to_string()
    } else {
        format!(
            "its instance is in none of the accounts asked, and {} could not be asked; not checked",
            fleet.unreachable_accounts()
        )
    };
    for id in missing {
        if gone.contains(&id) || unchecked.contains_key(&id) {
            continue;
        }
        let owner_asked = owner_of(&id).is_some_and(|owner| asked_accounts.contains(&owner));
        if !configured || owner_asked {
            gone.insert(id);
        } else {
            unchecked.insert(id, why.clone());
        }
    }
    Missing { unchecked, gone }
}

/// The ids of the accounts that were asked: those configured with an id,
/// and the owners of the instances they answered with.
fn asked_accounts(settings: &Settings, fleet: &Fleet) -> BTreeSet<String> {
    let unreachable: BTreeSet<&str> = fleet
        .unreachable
        .iter()
        .map(|u| u.account.as_str())
        .collect();
    let configured = settings.accounts.iter().filter_map(|config| {
        let account = config.account.as_deref()?;
        (!unreachable.contains(account.label().as_str())).then(|| account.id.clone())?
    });
    let answered = fleet.instances.iter().filter_map(|i| i.account.clone());
    configured.chain(answered).collect()
}

/// A known_hosts line that names EC2 hosts, before its keys are judged.
struct Ec2Line {
    number: usize,
    raw: Vec<u8>,
    hashed: bool,
    key: KeyText,
    /// (lookup name, instance id) for names of ours a live instance holds.
    held: Vec<(String, String)>,
    /// Names of ours several running instances hold.
    ambiguous: Vec<(String, String)>,
    orphaned: Vec<String>,
    /// (name, holder) for names an instance holds on a line not ours.
    not_ours: Vec<(String, String)>,
    /// Why the line's instance could not be looked up (another region, an
    /// error): reported, never pruned.
    unchecked: Option<String>,
    /// Names of ours (Name tags, DNS aliases) that now select another
    /// instance than the one the line was recorded for.
    moved: Vec<Moved>,
}

/// A name recorded for one instance that now selects another.
#[derive(Debug, Clone, Serialize)]
struct Moved {
    name: String,
    from: String,
    to: String,
}

fn ec2_lines(
    file: &KnownHosts,
    fleet: &Fleet,
    ports: &BTreeSet<u16>,
    missing: &Missing,
) -> Vec<Ec2Line> {
    let on_ports =
        |bare: &str| -> Vec<String> { ports.iter().map(|&p| lookup_name(bare, p)).collect() };
    let public: Vec<String> = fleet.public_names().flat_map(on_ports).collect();
    let mut out = Vec::new();
    for line in &file.lines {
        let Kind::Entry(entry) = &line.kind else {
            continue;
        };
        if entry.marker.is_some() {
            continue;
        }
        let mark = entry.marked_instance();
        let names = if entry.is_hashed() {
            hashed_name(entry, mark, fleet, &public, &on_ports)
                .into_iter()
                .collect()
        } else {
            literal_names(entry)
        };
        let mut found = Ec2Line {
            number: line.number,
            raw: line.raw.clone(),
            hashed: entry.is_hashed(),
            key: entry.key.clone(),
            held: Vec::new(),
            ambiguous: Vec::new(),
            orphaned: Vec::new(),
            not_ours: Vec::new(),
            unchecked: mark.and_then(|id| missing.unchecked.get(id)).cloned(),
            moved: Vec::new(),
        };
        let marked_live = mark.and_then(|id| fleet.by_id(id));
        if names.is_empty() && mark.is_some() {
            // Our hashed line whose name no instance holds any more.
            match marked_live {
                Some(i) => found.held.push((String::new(), i.id.clone())),
                None => found.orphaned.push(String::new()),
            }
        }
        for lookup in names {
            let bare = bare_host(&lookup);
            let ours = mark.is_some() || fleet.public.owns(&lookup);
            // The line stays its mark's; that the name now selects another
            // instance is only said, as plain ssh would say the key changed.
            if let (Some(from), false, Holder::One(now)) =
                (mark, is_aws_assigned_kind(bare), fleet.holder(bare))
                && now.id != from
                && now.state == "running"
            {
                found.moved.push(Moved {
                    name: lookup.clone(),
                    from: from.to_string(),
                    to: now.id.clone(),
                });
            }
            // Who holds a name is decided by what AWS assigned (public DNS
            // names and IPs of running instances) or, for our own line, by
            // its mark — never by a Name tag, which anyone may set.
            let holder = match (fleet.public_holder(bare), marked_live) {
                (Some(i), _) => Holder::One(i),
                (None, Some(i))
                    if !is_aws_assigned_kind(bare) || names_of(i).iter().any(|n| n == bare) =>
                {
                    Holder::One(i)
                }
                (None, _) if ours => Holder::Nobody,
                (None, _) => fleet.holder(bare),
            };
            match (ours, holder) {
                (true, Holder::One(i)) => found.held.push((lookup, i.id.clone())),
                (true, Holder::Ambiguous(ids)) => found.ambiguous.push((lookup, ids.join(", "))),
                (true, Holder::Nobody) => found.orphaned.push(lookup),
                (false, Holder::One(i)) => found.not_ours.push((lookup, i.id.clone())),
                (false, Holder::Ambiguous(ids)) => found.not_ours.push((lookup, ids.join(", "))),
                (false, Holder::Nobody) => {}
            }
        }
        // An instance EC2 reports terminated is gone, whichever account
        // could not be asked; any other line's names may be held there.
        let surely_gone = mark.is_some_and(|id| missing.gone.contains(id));
        if found.unchecked.is_none()
            && !found.orphaned.is_empty()
            && !fleet.unreachable.is_empty()
            && !surely_gone
        {
            found.unchecked = Some(format!(
                "no instance in the accounts asked holds it, and {} could not be asked; not checked",
                fleet.unreachable_accounts()
            ));
        }
        if found.unchecked.is_some() {
            // Who holds its names cannot be told: no name of it is free.
            found.orphaned.clear();
        }
        let relevant = found.unchecked.is_some()
            || !found.moved.is_empty()
            || !found.held.is_empty()
            || !found.ambiguous.is_empty()
            || !found.orphaned.is_empty()
            || !found.not_ours.is_empty();
        if relevant {
            out.push(found);
        }
    }
    out
}

/// A name of a kind AWS assigns (an address, an EC2 DNS name, an id): one an
/// instance can lose, so a mark alone does not keep it.
fn is_aws_assigned_kind(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok() || crate::aws::shapes::is_ec2_shaped(name)
}

/// The plain host names on a line (no wildcards, no negations).
fn literal_names(entry: &Entry) -> Vec<String> {
    entry
        .hosts
        .split(',')
        .filter(|p| !p.starts_with('!') && !p.contains(['*', '?']) && !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The name a hashed line hides, among those ours to judge: the names of the
/// instance its mark names, then every AWS-assigned public name.
fn hashed_name(
    entry: &Entry,
    mark: Option<&str>,
    fleet: &Fleet,
    public: &[String],
    on_ports: &dyn Fn(&str) -> Vec<String>,
) -> Option<String> {
    let hit = |n: &String| entry.match_host(n) == HostMatch::Hashed;
    if let Some(id) = mark {
        let own = fleet.by_id(id).map(names_of).unwrap_or_default();
        if let Some(found) = own.iter().flat_map(|n| on_ports(n)).find(hit) {
            return Some(found);
        }
    }
    public.iter().find(|n| hit(n)).cloned()
}

fn judge(
    line: Ec2Line,
    keys: &HashMap<String, Vec<PublicKey>>,
    why: &HashMap<String, String>,
) -> Finding {
    let mut status = Status::Fine;
    let mut reason = None;
    let mut replacements = Vec::new();
    for (lookup, id) in &line.held {
        match keys.get(id) {
            None => {
                status = Status::Unverified;
                reason = Some(format!(
                    "{id}'s keys cannot be verified now: {}",
                    why.get(id).map_or("no trusted source", String::as_str)
                ));
            }
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
    if let Some((name, ids)) = line.ambiguous.first() {
        status = Status::Unverified;
        reason = Some(format!(
            "{name} is held by several running instances ({ids})"
        ));
    }
    if line.held.is_empty() && line.ambiguous.is_empty() {
        status = if line.orphaned.is_empty() {
            Status::NotOurs
        } else {
            Status::Orphaned
        };
    }
    if let Some(why) = &line.unchecked
        && line.held.is_empty()
    {
        status = Status::Unverified;
        reason = Some(why.clone());
    }
    if status == Status::NotOurs
        && let Some((name, id)) = line.not_ours.first()
    {
        reason = Some(format!(
            "{name} is held by {id}, but ec2-hostkey did not write this line and {name} is not an AWS-assigned public name; left as is"
        ));
    }
    let mut names: Vec<String> = line.held.iter().map(|(n, _)| n.clone()).collect();
    names.extend(line.ambiguous.iter().map(|(n, _)| n.clone()));
    names.extend(line.orphaned.iter().cloned());
    names.extend(line.not_ours.iter().map(|(n, _)| n.clone()));
    names.retain(|n| !n.is_empty());
    Finding {
        line: line.number,
        names,
        hashed: line.hashed,
        status,
        instance: line
            .held
            .first()
            .or(line.not_ours.first())
            .map(|(_, id)| id.clone()),
        key: describe(&line.key),
        reason,
        moved: line.moved,
        raw: line.raw,
        replacements,
        orphans: line.orphaned,
    }
}

fn describe(key: &KeyText) -> String {
    match PublicKey::from_openssh(&key.to_string()) {
        Ok(k) => crate::trust::sources::describe_key(&k),
        Err(_) => key.algorithm.clone(),
    }
}

/// Takes the names each fix is about off its line (the line stays for any
/// other hosts on it), then records verified, marked entries for the stale
/// ones. Returns whether anything changed.
fn apply(
    file: &mut KnownHosts,
    fixes: &[&Finding],
    hash: bool,
    prune: bool,
    public: &PublicNames,
) -> bool {
    let mut changed = false;
    for fix in fixes {
        let Some(index) = file.lines.iter().position(|l| l.raw == fix.raw) else {
            continue;
        };
        let mut taken: Vec<&String> = Vec::new();
        if fix.status == Status::Stale {
            taken.extend(fix.replacements.iter().map(|(n, _)| n));
        }
        if prune {
            taken.extend(fix.orphans.iter());
        }
        let named: Vec<&String> = taken.iter().copied().filter(|n| !n.is_empty()).collect();
        let line = file.lines.remove(index);
        // A hashed line hides one name: it goes whole; a plain one keeps its other hosts.
        if !fix.hashed
            && let Some(rest) = line.without_hosts(&named)
        {
            file.lines.insert(index, rest);
        }
        changed = true;
    }
    for fix in fixes.iter().filter(|f| f.status == Status::Stale) {
        let id = fix.instance.as_deref().unwrap_or_default();
        for (name, keys) in fix.replacements.iter().filter(|(n, _)| !n.is_empty()) {
            let recorded = file.record(
                std::slice::from_ref(name),
                keys,
                || hash || fix.hashed,
                &known_hosts::mark(id),
                |n| public.owns(n),
            );
            changed |= recorded.changed;
        }
    }
    changed
}

fn print_report(
    settings: &Settings,
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
            not_ours: count(Status::NotOurs),
            changed,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let verb = if args.dry_run { "would be " } else { "" };
    for f in findings
        .iter()
        .filter(|f| f.status != Status::Fine || !f.moved.is_empty() || settings.verbose > 0)
    {
        for m in &f.moved {
            let name = bare_host(&m.name);
            writeln!(
                out,
                "{:<10} line {:<5} {}: recorded for {}, it now selects {}; the line stays {}'s (`ec2-hostkey forget {name}` accepts the move)",
                "moved",
                f.line,
                crate::text::sanitize(&m.name),
                m.from,
                m.to,
                m.from,
            )?;
        }
        let what = match f.status {
            Status::Fine => "matches the instance's verified key".to_string(),
            Status::Stale => format!(
                "{} is not {}'s key; {verb}replaced with its verified keys",
                f.key,
                f.instance.as_deref().unwrap_or("?")
            ),
            Status::Orphaned if args.prune => {
                format!("no instance holds this name; {verb}removed")
            }
            Status::Orphaned => {
                "no instance holds this name (kept; --prune removes it)".to_string()
            }
            Status::Unverified => format!(
                "{}; left as is",
                f.reason.as_deref().unwrap_or("cannot be verified now")
            ),
            Status::NotOurs => f.reason.clone().unwrap_or_default(),
        };
        let hashed = if f.hashed { " (hashed)" } else { "" };
        let status = serde_json::to_value(f.status)?;
        writeln!(
            out,
            "{:<10} line {:<5} {}{hashed}: {}",
            status.as_str().unwrap_or_default(),
            f.line,
            crate::text::sanitize(&f.names.join(",")),
            crate::text::sanitize(&what)
        )?;
    }
    writeln!(
        out,
        "{file}: {} EC2 entries: {} fine, {} stale, {} orphaned, {} unverified, {} not ours{}",
        findings.len() - count(Status::NotOurs),
        count(Status::Fine),
        count(Status::Stale),
        count(Status::Orphaned),
        count(Status::Unverified),
        count(Status::NotOurs),
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
