//! `certify TARGET…`: verify each instance's host keys exactly as `fetch`
//! does (the sources, the user's `@revoked` lines, and the live server when
//! it answers: every key it presents must be vouched for), then sign those
//! keys, and only those, as host certificates (`trust::certify`). All
//! targets are verified before anything is written: one refusal (exit 5)
//! writes nothing.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use ssh_key::{Certificate, HashAlg, PublicKey};

use super::settings::Settings;
use crate::aws::ec2::Instance;
use crate::cli::CertifyArgs;
use crate::net::kex;
use crate::store::{ca, known_hosts};
use crate::trust::certify;
use crate::trust::policy;

#[derive(Serialize)]
struct Report {
    target: String,
    instance: String,
    source: &'static str,
    /// Whether the live server was asked and presented only vouched keys.
    live_checked: bool,
    key_id: String,
    principals: Vec<String>,
    valid_before: String,
    certificates: Vec<CertificateReport>,
    /// With `--install`: whether sshd was seen presenting the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    installed: Option<bool>,
}

#[derive(Serialize)]
struct CertificateReport {
    #[serde(rename = "type")]
    algorithm: String,
    fingerprint: String,
    serial: u64,
    file: String,
    certificate: String,
}

/// An instance, its verified keys and what vouched for them.
struct Verified {
    target: String,
    instance: Instance,
    keys: Vec<PublicKey>,
    source: &'static str,
    live_checked: bool,
}

pub fn run(settings: &Settings, args: &CertifyArgs) -> Result<()> {
    let ca_path = Settings::ca_path(&args.ca)?;
    let authority = ca::load(&ca_path)?;
    let verified = args
        .targets
        .iter()
        .map(|target| verify(settings, args, target))
        .collect::<Result<Vec<_>>>()?;
    let mut reports: Vec<Report> = Vec::new();
    let mut signed: Vec<Vec<Certificate>> = Vec::new();
    let mut issued: Vec<ca::Issued> = Vec::new();
    for one in &verified {
        let certificates = one
            .keys
            .iter()
            .map(|key| {
                certify::sign(
                    &authority,
                    &one.instance,
                    key,
                    args.validity,
                    args.private_principals,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        reports.push(report(one, &certificates, args.private_principals)?);
        issued.extend(
            certificates
                .iter()
                .map(|c| ca::Issued::of(&one.instance.id, c)),
        );
        signed.push(certificates);
    }
    ca::record_issued(&ca_path, &issued)?;
    if let Some(dir) = &args.out {
        for report in &reports {
            write_out(dir, report)?;
        }
    }
    if args.install {
        for ((one, report), certificates) in verified.iter().zip(&mut reports).zip(&signed) {
            install(settings, args, one, certificates, authority.public_key())?;
            report.installed = Some(true);
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else if args.out.is_none() {
        for report in &reports {
            for cert in &report.certificates {
                writeln!(out, "{}", cert.certificate)?;
            }
        }
    }
    for report in &reports {
        crate::text::note(
            settings.quiet,
            &format!(
                "signed {} key(s) of {} (source: {}{}) for {}, valid until {}{}",
                report.certificates.len(),
                report.instance,
                report.source,
                if report.live_checked {
                    ", the live server checked"
                } else {
                    "; the server did not answer, so it was not checked"
                },
                report.principals.join(", "),
                report.valid_before,
                args.out.as_ref().map_or(String::new(), |dir| format!(
                    "; wrote {}",
                    dir.join(&report.instance).display()
                )),
            ),
        );
    }
    Ok(())
}

/// The instance's keys as `fetch` would print them, less revoked ones,
/// narrowed to those the live server presents (which must all be vouched
/// for); with `--allow-unreachable`, a server that does not answer is
/// signed from its sources alone.
fn verify(settings: &Settings, args: &CertifyArgs, target: &str) -> Result<Verified> {
    let cache = settings.cache(&args.cache);
    let sources = settings.sources(&args.source);
    let path = settings.known_hosts(&args.file)?.path;
    let file = known_hosts::read(&path)?;
    let (cold, keys, source) = policy::vouched_keys(
        settings.lookup(&sources),
        target,
        settings.wait(args.wait),
        cache.as_ref(),
        args.port,
        (&file, &path),
    )?;
    let (keys, live_checked) = if args.allow_unreachable {
        match certify::presented_keys(&cold.instance, args.port) {
            Ok(presented) => (
                certify::only_presented(&cold.instance, &presented, keys, &cold.source.describe())?,
                true,
            ),
            Err(e) => {
                tracing::debug!("{}: not asked ({e:#})", cold.instance.id);
                (keys, false)
            }
        }
    } else {
        let presented = certify::presented_keys(&cold.instance, args.port).with_context(|| {
            format!(
                "cannot ask {}'s sshd which keys it presents, and certify signs only keys the live server presents; if it is reachable only from elsewhere, add --allow-unreachable to sign what {} vouches for",
                cold.instance.id,
                cold.source.describe()
            )
        })?;
        (
            certify::only_presented(&cold.instance, &presented, keys, &cold.source.describe())?,
            true,
        )
    };
    Ok(Verified {
        target: target.to_string(),
        instance: cold.instance,
        keys,
        source,
        live_checked,
    })
}

fn report(one: &Verified, certificates: &[Certificate], private: bool) -> Result<Report> {
    let first = certificates.first();
    Ok(Report {
        target: one.target.clone(),
        instance: one.instance.id.clone(),
        source: one.source,
        live_checked: one.live_checked,
        key_id: certify::key_id(&one.instance),
        principals: certify::principals(&one.instance, private),
        valid_before: first.map_or_else(String::new, |c| kex::unix_time(c.valid_before())),
        installed: None,
        certificates: certificates
            .iter()
            .zip(&one.keys)
            .map(|(cert, key)| {
                Ok(CertificateReport {
                    algorithm: cert.algorithm().to_certificate_type().to_string(),
                    fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
                    serial: cert.serial(),
                    file: certify::file_name(key),
                    certificate: cert.to_openssh().context("cannot encode a certificate")?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
    })
}

/// Puts the certificates on the instance through Systems Manager, then asks
/// its sshd for a certificate and checks it is one just signed.
fn install(
    settings: &Settings,
    args: &CertifyArgs,
    one: &Verified,
    certificates: &[Certificate],
    authority: &PublicKey,
) -> Result<()> {
    let signed: Vec<(Certificate, &PublicKey)> =
        certificates.iter().cloned().zip(&one.keys).collect();
    certify::install(
        &certify::Installing {
            accounts: &settings.accounts,
            document: &args.install_document,
            wait: settings.wait(args.wait),
            quiet: settings.quiet,
            port: args.port,
            authority,
        },
        &one.instance,
        &signed,
    )
}

/// DIR/<instance-id>/ssh_host_<type>_key-cert.pub, each written whole.
fn write_out(dir: &Path, report: &Report) -> Result<()> {
    let dir = dir.join(&report.instance);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for cert in &report.certificates {
        let path = dir.join(&cert.file);
        let mut temp = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .tempfile_in(&dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        writeln!(temp, "{}", cert.certificate)?;
        temp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
