//! `ca init | show | revoke`: the host certificate authority's key, the
//! `@cert-authority` line clients trust it with, and revocation (an
//! `@revoked` line, which ssh honours for plain keys and certificates, and
//! which `certify` reads before it signs).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ssh_key::{HashAlg, PublicKey};

use super::settings::Settings;
use crate::cli::{CaAction, CaFileArgs};
use crate::store::{ca, known_hosts};

/// The names a fleet's instances are reached by: ids and EC2's public DNS
/// names (addresses, and private names certified with
/// `--private-principals`: add their patterns with --pattern).
pub const FLEET_PATTERNS: &str = "i-*,ec2-*.compute-1.amazonaws.com,ec2-*.compute.amazonaws.com";

pub fn run(settings: &Settings, action: &CaAction) -> Result<()> {
    match action {
        CaAction::Init {
            out, agent: false, ..
        } => init(settings, out.clone()),
        CaAction::Init {
            out,
            agent: true,
            key,
        } => init_agent(settings, out.clone(), key.as_deref()),
        CaAction::Show { ca, pattern } => show(ca, pattern),
        CaAction::Revoke { file, ca, what } => revoke(settings, file, ca, what),
    }
}

fn init(settings: &Settings, out: Option<PathBuf>) -> Result<()> {
    let path = Settings::ca_path(&CaFileArgs { path: out })?;
    let key = ca::create(&path)?;
    crate::text::note(
        settings.quiet,
        &format!(
            "made the host CA {} in {} (yours alone; whoever holds it can vouch for any key for your fleet's names)",
            key.public_key().fingerprint(HashAlg::Sha256),
            path.display()
        ),
    );
    println!("{}", line(key.public_key(), &[]));
    Ok(())
}

/// `ca init --agent`: the CA is a key ssh-agent holds; the file names it.
fn init_agent(settings: &Settings, out: Option<PathBuf>, key: Option<&str>) -> Result<()> {
    let held = crate::net::openssh::agent_keys();
    let chosen = match key {
        Some(text) => {
            let wanted = parse_key(text)?;
            held.into_iter()
                .find(|k| k.key_data() == wanted.key_data())
                .with_context(|| {
                    format!(
                        "ssh-agent does not hold {}; ssh-add it first",
                        wanted.fingerprint(HashAlg::Sha256)
                    )
                })?
        }
        None => match held.as_slice() {
            [only] => only.clone(),
            [] => bail!("ssh-agent holds no key (is SSH_AUTH_SOCK set?); ssh-add the CA key first"),
            _ => bail!(
                "ssh-agent holds {} keys; say which with --key FILE.pub",
                held.len()
            ),
        },
    };
    let path = Settings::ca_path(&CaFileArgs { path: out })?;
    ca::create_agent(&path, &chosen)?;
    crate::text::note(
        settings.quiet,
        &format!(
            "the host CA is {}, held by ssh-agent; {} names it (certify signs through the agent, which must hold it then)",
            chosen.fingerprint(HashAlg::Sha256),
            path.display()
        ),
    );
    println!("{}", line(&chosen, &[]));
    Ok(())
}

fn show(args: &CaFileArgs, patterns: &[String]) -> Result<()> {
    let path = Settings::ca_path(args)?;
    println!("{}", line(&ca::public(&path)?, patterns));
    Ok(())
}

/// `@cert-authority PATTERNS KEY`.
fn line(key: &PublicKey, more: &[String]) -> String {
    let mut patterns = FLEET_PATTERNS.to_string();
    for pattern in more {
        patterns.push(',');
        patterns.push_str(pattern);
    }
    format!(
        "@cert-authority {patterns} {} ec2-hostkey-host-ca",
        known_hosts::key_line(key)
    )
}

fn revoke(
    settings: &Settings,
    file: &crate::cli::KnownHostsArgs,
    ca_args: &CaFileArgs,
    what: &str,
) -> Result<()> {
    let destination = settings.known_hosts(file)?;
    let path = &destination.path;
    let keys = if crate::trust::seed::is_seed_id(what) {
        // A seed's certificates, logged when `seed --ca` signed them.
        let keys = Settings::ca_path(ca_args)
            .map(|ca| ca::issued_keys(&ca, &format!("seed:{what}")))
            .unwrap_or_default();
        if keys.is_empty() {
            bail!("the CA's log of certificates holds no key for seed {what}");
        }
        keys
    } else if crate::aws::shapes::is_instance_id(what) {
        // What certify signed for it (its log), and what was recorded.
        let mut keys = Settings::ca_path(ca_args)
            .map(|ca| ca::issued_keys(&ca, what))
            .unwrap_or_default();
        for key in known_hosts::read(path)?.keys_marked(what) {
            if !keys.iter().any(|k| k.key_data() == key.key_data()) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            bail!(
                "neither {} nor the CA's log of certificates holds a key for {what}; give the key itself ('ssh-ed25519 AAAA…' or a .pub file)",
                path.display()
            );
        }
        keys
    } else {
        vec![parse_key(what)?]
    };
    let named = if crate::aws::shapes::is_instance_id(what) || crate::trust::seed::is_seed_id(what)
    {
        what
    } else {
        "key"
    };
    let comment = format!("revoked-by-ec2-hostkey:{named}");
    let added = known_hosts::update(path, |file| {
        let added: Vec<&PublicKey> = keys.iter().filter(|k| file.revoke(k, &comment)).collect();
        (!added.is_empty(), added.len())
    })?;
    for key in &keys {
        crate::text::note(
            settings.quiet,
            &format!(
                "revoked {} in {}: ssh here refuses it, plain or certified, and certify will not sign it; other machines accept its certificate until it expires unless they get this line too",
                key.fingerprint(HashAlg::Sha256),
                path.display()
            ),
        );
    }
    if added == 0 {
        crate::text::note(settings.quiet, "(it was revoked already)");
    }
    Ok(())
}

/// A key given as text, or the path of a .pub file.
fn parse_key(what: &str) -> Result<PublicKey> {
    let text = if std::path::Path::new(what).is_file() {
        std::fs::read_to_string(what).with_context(|| format!("cannot read {what}"))?
    } else {
        what.to_string()
    };
    PublicKey::from_openssh(text.trim()).map_err(|_| {
        anyhow::anyhow!(
            "{what:?} is neither an instance id nor a public key ('ssh-ed25519 AAAA…' or a .pub file)"
        )
    })
}
