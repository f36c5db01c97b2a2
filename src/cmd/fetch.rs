//! `fetch TARGET…`: print an instance's verified host keys as known_hosts
//! lines (or JSON), and with `--write` record them — a verified `ssh-keyscan`.
//!
//! Which keys are trusted is decided by the one trust policy (`trust::policy`):
//! a proven seed or the console's KEYS block as they are; for a
//! fingerprints-only console, or keys remembered from an earlier
//! verification, the live server is probed and every key it presents must
//! be vouched for.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use ssh_key::{HashAlg, PublicKey};

use super::settings::Settings;
use crate::cli::FetchArgs;
use crate::net::kex;
use crate::store::known_hosts::{self, KeyText};
use crate::trust::names::{PublicNames, check_moved, names_for};
use crate::trust::policy::{self, Remembered};
use crate::trust::publish;
use crate::trust::resolve::Target;

#[derive(Serialize)]
struct Report {
    target: String,
    instance: String,
    region: String,
    /// The account that owns it, as EC2 says.
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    /// The `[[accounts]]` entry it was found in (`name (id)`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<String>,
    names: Vec<String>,
    source: &'static str,
    /// Who verified and when, when the team store's record vouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_by: Option<String>,
    keys: Vec<KeyReport>,
    /// What the server presents to ssh's first connection; absent when it
    /// could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    presented: Option<PresentedReport>,
}

/// A plain key or a host certificate, as the server presented it: the
/// certificate's fields are the server's claims; `verified` says whether
/// the key in it is one the sources vouched for.
#[derive(Serialize)]
struct PresentedReport {
    kind: &'static str,
    #[serde(rename = "type")]
    algorithm: String,
    fingerprint: String,
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<CertificateReport>,
}

#[derive(Serialize)]
struct CertificateReport {
    ca_fingerprint: String,
    /// Whether the CA named signed it (the rest is the server's claim).
    signature_valid: bool,
    key_id: String,
    serial: u64,
    principals: Vec<String>,
    valid_after: String,
    valid_before: String,
}

#[derive(Serialize)]
struct KeyReport {
    #[serde(rename = "type")]
    algorithm: String,
    key: String,
    fingerprint: String,
}

pub fn run(settings: &Settings, args: &FetchArgs) -> Result<()> {
    let cache = settings.cache(&args.cache);
    let sources = settings.sources(&args.source);
    let destination = settings.known_hosts(&args.file)?;
    let path = &destination.path;
    let mut reports = Vec::new();
    for target in &args.targets {
        // Read once for the user's @revoked lines and the tool's marks.
        let file = known_hosts::read(path)?;
        let (cold, keys, source) = policy::vouched_keys(
            settings.lookup(&sources),
            target,
            settings.wait(args.wait),
            cache.as_ref(),
            args.port,
            (&file, path),
        )?;
        let address = cold
            .instance
            .address()
            .expect("resolve only returns instances with an address")
            .to_string();
        let found = cold.found(keys, source);
        let typed = known_hosts::lookup_name(target, args.port);
        let can_move = !matches!(Target::classify(target), Target::InstanceId(_))
            && !PublicNames::of([&cold.instance]).owns(&typed);
        if can_move
            && let Some(warning) = check_moved(
                &file,
                path,
                &typed,
                &cold.instance.id,
                settings.on_name_move,
            )?
        {
            crate::text::warn(settings.quiet, &warning);
        }
        publish::publish_verified(
            &settings.aws,
            sources.store.as_ref(),
            &cold.instance,
            &found,
            settings.quiet,
        );
        let keys = found.keys;
        let mut names = names_for(&[target], args.port, &cold.instance);
        let lookup = known_hosts::lookup_name(target, args.port);
        cold.remember(
            cache.as_ref(),
            &keys,
            Remembered {
                lookup_name: &lookup,
                address: &address,
                names: &names,
                tunnel: None,
            },
        );
        if args.write {
            let public = PublicNames::of([&cold.instance]);
            let recorded = known_hosts::update(path, |file| {
                let hash = || destination.hash_for(target);
                let recorded = file.record(
                    &names,
                    &keys,
                    hash,
                    &known_hosts::mark(&cold.instance.id),
                    |n| public.owns(n),
                );
                (recorded.changed, recorded)
            })?;
            for note in recorded.notes(&cold.instance.id, path, &names) {
                crate::text::note(settings.quiet, &note);
            }
            names.retain(|n| !recorded.foreign.contains(n));
        }
        let presented = (args.json || settings.verbose > 0)
            .then(|| presented_report(&address, args.port, &keys))
            .flatten();
        reports.push(Report {
            presented,
            target: target.clone(),
            instance: cold.instance.id.clone(),
            region: cold.instance.region.clone(),
            account: cold.instance.account.clone(),
            account_name: cold.instance.account_name.clone(),
            names,
            source,
            verified_by: cold.source.verified_by(),
            keys: keys.iter().map(key_report).collect(),
        });
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else {
        for report in &reports {
            for name in &report.names {
                for key in &report.keys {
                    writeln!(out, "{name} {} {}", key.algorithm, key.key)?;
                }
            }
        }
    }
    if args.write {
        crate::text::note(
            settings.quiet,
            &format!(
                "recorded verified keys for {} target(s) in {}",
                reports.len(),
                path.display()
            ),
        );
    }
    Ok(())
}

fn key_report(key: &PublicKey) -> KeyReport {
    let text = KeyText::of(key);
    KeyReport {
        algorithm: text.algorithm,
        key: text.data,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    }
}

/// What the server presents to ssh's first connection, for `--json` and
/// `-v`; `None` (and a debug line) when it cannot be asked.
fn presented_report(address: &str, port: u16, verified: &[PublicKey]) -> Option<PresentedReport> {
    let ip = address.parse().ok()?;
    // Short: a report, not a verification, and the instance may be
    // unreachable from here (a private one).
    let presented = match kex::probe_as_ssh(ip, port, Duration::from_secs(3)) {
        Ok(presented) => presented,
        Err(e) => {
            tracing::debug!("could not ask {address} port {port} what it presents: {e:#}");
            return None;
        }
    };
    tracing::debug!("{address} presents a {}", presented.describe());
    let certificate = presented
        .certificate
        .as_ref()
        .map(|cert| CertificateReport {
            ca_fingerprint: cert
                .signature_key()
                .fingerprint(HashAlg::Sha256)
                .to_string(),
            signature_valid: cert.verify_signature().is_ok(),
            key_id: cert.key_id().to_string(),
            serial: cert.serial(),
            principals: cert.valid_principals().to_vec(),
            valid_after: kex::unix_time(cert.valid_after()),
            valid_before: kex::unix_time(cert.valid_before()),
        });
    Some(PresentedReport {
        kind: if certificate.is_some() {
            "certificate"
        } else {
            "plain"
        },
        algorithm: presented.certificate.as_ref().map_or_else(
            || presented.key.algorithm().as_str().to_string(),
            |c| c.algorithm().to_certificate_type().to_string(),
        ),
        fingerprint: presented.key.fingerprint(HashAlg::Sha256).to_string(),
        verified: verified
            .iter()
            .any(|k| k.key_data() == presented.key.key_data()),
        certificate,
    })
}
