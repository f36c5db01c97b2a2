//! `forget TARGET`: remove every known_hosts entry the tool may remove for
//! an instance (SECURITY.md, trust rule 3): the lines it wrote for it
//! (marked `ec2-hostkey:<id>`, under any name), lines it wrote for the name
//! given, and lines for the instance's AWS-assigned public DNS name and IP
//! (as `ssh-keygen -R` would). Lines for its Name tag, private names or
//! DNS aliases that the tool did not write are someone else's: they stay,
//! and are listed as kept. `@cert-authority`/`@revoked` lines stay.

use std::collections::BTreeSet;

use anyhow::Result;

use super::settings::Settings;
use crate::aws;
use crate::cli::ForgetArgs;
use crate::store::known_hosts::{self, Kind, KnownHosts, Line, lookup_name};
use crate::trust::fleet::names_of;
use crate::trust::names::PublicNames;
use crate::trust::resolve::{self, Target};

pub fn run(settings: &Settings, args: &ForgetArgs) -> Result<()> {
    let path = settings.known_hosts(&args.file)?.path;
    let target = Target::classify(&args.target);
    let instance = aws::block_on(async {
        let homes = resolve::homes(&settings.accounts).await;
        Ok(resolve::find_any_in(&homes, &target, settings.resolve).await?)
    })?;
    let mut bare: BTreeSet<String> = BTreeSet::from([args.target.to_ascii_lowercase()]);
    if let Some(instance) = &instance {
        bare.extend(names_of(instance));
    }
    let ports: BTreeSet<u16> = args.port.iter().copied().chain([22]).collect();
    let on_ports = |names: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        names
            .flat_map(|n| ports.iter().map(move |&p| lookup_name(n, p)))
            .collect()
    };
    let names = on_ports(&mut bare.iter());
    // Lines are taken by name only for the name given and the instance's
    // AWS-assigned public names; its other names (Name tag, private ones)
    // only through lines marked with its id.
    let public_names: Vec<String> = instance
        .iter()
        .flat_map(|i| i.public_names())
        .map(str::to_ascii_lowercase)
        .chain([args.target.to_ascii_lowercase()])
        .collect();
    let taken = on_ports(&mut public_names.iter());
    let mark = match (&instance, &target) {
        (Some(i), _) => Some(i.id.clone()),
        (None, Target::InstanceId(id)) => Some(id.clone()),
        (None, _) => None,
    };
    let public = PublicNames::of(instance.as_ref());

    let (removed, kept) = if args.dry_run {
        let mut copy = known_hosts::read(&path)?;
        remove_all(&mut copy, &taken, &names, mark.as_deref(), &public)
    } else {
        known_hosts::update(&path, |file| {
            let (removed, kept) = remove_all(file, &taken, &names, mark.as_deref(), &public);
            (!removed.is_empty(), (removed, kept))
        })?
    };
    if let Some(cache) = settings.cache(&args.cache).filter(|_| !args.dry_run) {
        for name in &names {
            cache.forget_name(name);
        }
        if let Some(id) = &mark {
            cache.forget_instance(id);
        }
    }

    let who = match &instance {
        Some(i) => format!(
            "{} ({})",
            i.id,
            bare.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        None => format!(
            "{} (EC2 knows no such instance; only lines ec2-hostkey wrote for the name, or AWS public names, were removed)",
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
            names: Vec<String>,
            dry_run: bool,
            removed: Vec<Removed>,
            /// Lines for the instance's names that ec2-hostkey did not write and may not remove.
            not_ours: Vec<Removed>,
        }
        let listed = |lines: &[Line]| -> Vec<Removed> {
            lines
                .iter()
                .map(|l| Removed {
                    line: l.number,
                    text: String::from_utf8_lossy(&l.raw).into_owned(),
                })
                .collect()
        };
        let report = Report {
            file: path.display().to_string(),
            target: &args.target,
            instance: instance.as_ref().map(|i| i.id.as_str()),
            names: bare.iter().map(|n| crate::text::sanitize(n)).collect(),
            dry_run: args.dry_run,
            removed: listed(&removed),
            not_ours: listed(&kept),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let who = crate::text::sanitize(&who);
        if args.dry_run {
            for line in &removed {
                println!(
                    "{}:{}: {}",
                    path.display(),
                    line.number,
                    crate::text::sanitize(&String::from_utf8_lossy(&line.raw))
                );
            }
            println!(
                "would remove {} line(s) for {who} from {}",
                removed.len(),
                path.display()
            );
        } else {
            println!(
                "removed {} line(s) for {who} from {}",
                removed.len(),
                path.display()
            );
        }
        for line in &kept {
            crate::text::note(
                settings.quiet,
                &format!(
                    "kept {}:{}: ec2-hostkey did not write it and its names are not AWS-assigned public names (remove it with ssh-keygen -R if you mean to)",
                    path.display(),
                    line.number
                ),
            );
        }
    }
    Ok(())
}

/// Removes the lines the tool may remove for these names and this mark;
/// returns them, and the lines for the names that stay (not ours).
fn remove_all(
    file: &mut KnownHosts,
    taken: &[String],
    names: &[String],
    mark: Option<&str>,
    public: &PublicNames,
) -> (Vec<Line>, Vec<Line>) {
    let mut removed = file.take(taken, |n| public.owns(n));
    if let Some(mark) = mark {
        let (ours, kept): (Vec<Line>, Vec<Line>) =
            std::mem::take(&mut file.lines).into_iter().partition(|l| {
                matches!(&l.kind, Kind::Entry(e) if e.marker.is_none() && e.marked_instance() == Some(mark))
            });
        file.lines = kept;
        removed.extend(ours);
    }
    removed.sort_by_key(|l| l.number);
    let kept: Vec<Line> = file
        .entries()
        .filter(|(_, e)| e.marker.is_none() && names.iter().any(|n| e.names_exactly(n)))
        .map(|(l, _)| l.clone())
        .collect();
    (removed, kept)
}
