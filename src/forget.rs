//! `forget TARGET`: remove every known_hosts entry for an instance — the
//! alias given, its id and Name tag, its public and private DNS names and
//! IPs — as `ssh-keygen -R` would for each name, plus the lines we wrote for
//! it (commented `ec2-hostkey:<id>`). Markers (`@cert-authority`, `@revoked`) stay.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::cache::Cache;
use crate::cli::{ForgetArgs, Global};
use crate::ec2::Ec2;
use crate::files::known_hosts_path;
use crate::fleet::names_of;
use crate::known_hosts::{self, KnownHosts, Line, lookup_name};
use crate::resolve::{self, Target};

pub fn run(global: &Global, args: &ForgetArgs) -> Result<()> {
    let path = known_hosts_path(&args.file)?;
    let target = Target::classify(&args.target);
    let instance = crate::verify::block_on(async {
        let ec2 = Ec2::new(global.first_region(), global.profile.as_deref()).await?;
        Ok(resolve::find_any(&ec2, &target, resolve::Options::from_global(global)).await?)
    })?;
    let mut bare: BTreeSet<String> = BTreeSet::from([args.target.to_ascii_lowercase()]);
    if let Some(instance) = &instance {
        bare.extend(names_of(instance));
    }
    let ports: BTreeSet<u16> = args.port.iter().copied().chain([22]).collect();
    let names: Vec<String> = bare
        .iter()
        .flat_map(|n| ports.iter().map(move |&p| lookup_name(n, p)))
        .collect();
    let marker = instance.as_ref().map(|i| format!("ec2-hostkey:{}", i.id));

    let removed = if args.dry_run {
        let mut copy = known_hosts::read(&path)?;
        remove_all(&mut copy, &names, marker.as_deref())
    } else {
        known_hosts::update(&path, |file| {
            let removed = remove_all(file, &names, marker.as_deref());
            (!removed.is_empty(), removed)
        })?
    };
    if let Some(cache) = Cache::from_args(&args.cache) {
        for name in &names {
            cache.forget_name(name);
        }
    }

    let who = match &instance {
        Some(i) => format!(
            "{} ({})",
            i.id,
            bare.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        None => format!(
            "{} (EC2 knows no such instance; removed the name only)",
            args.target
        ),
    };
    if args.json {
        #[derive(serde::Serialize)]
        struct Removed {
            line: usize,
            text: String,
        }
        #[derive(serde::Serialize)]
        struct Report<'a> {
            file: String,
            target: &'a str,
            instance: Option<&'a str>,
            names: Vec<&'a String>,
            dry_run: bool,
            removed: Vec<Removed>,
        }
        let report = Report {
            file: path.display().to_string(),
            target: &args.target,
            instance: instance.as_ref().map(|i| i.id.as_str()),
            names: bare.iter().collect(),
            dry_run: args.dry_run,
            removed: removed
                .iter()
                .map(|l| Removed {
                    line: l.number,
                    text: String::from_utf8_lossy(&l.raw).into_owned(),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.dry_run {
        for line in &removed {
            println!(
                "{}:{}: {}",
                path.display(),
                line.number,
                crate::sources::console::sanitize(&line.raw)
            );
        }
        println!(
            "would remove {} line(s) for {who} from {}",
            removed.len(),
            path.display()
        );
    } else if !global.quiet {
        println!(
            "removed {} line(s) for {who} from {}",
            removed.len(),
            path.display()
        );
    }
    Ok(())
}

fn remove_all(file: &mut KnownHosts, names: &[String], marker: Option<&str>) -> Vec<Line> {
    let mut removed = file.remove_any(names, false);
    if let Some(marker) = marker {
        let (ours, kept): (Vec<Line>, Vec<Line>) =
            std::mem::take(&mut file.lines).into_iter().partition(|l| {
                matches!(l.kind, known_hosts::Kind::Entry(_))
                    && String::from_utf8_lossy(&l.raw)
                        .split_whitespace()
                        .any(|w| w == marker)
            });
        file.lines = kept;
        removed.extend(ours);
    }
    removed.sort_by_key(|l| l.number);
    removed
}
