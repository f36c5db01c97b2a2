//! `fetch TARGET…`: print an instance's verified host keys as known_hosts
//! lines (or JSON), and with `--write` record them — a verified `ssh-keyscan`.
//!
//! Keys from the console's KEYS block are trusted as they are. When the
//! console lists only fingerprints, the live server is probed for each key
//! type and a presented key is kept only if its recomputed fingerprint is listed.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use ssh_key::{HashAlg, PublicKey};

use crate::cache::Cache;
use crate::cli::{FetchArgs, Global};
use crate::files::known_hosts_path;
use crate::known_hosts::{self, KeyText};
use crate::names::names_for;
use crate::resolve::Target;
use crate::sources::console::ConsoleKeys;
use crate::verify::Source;
use crate::{kex, sources, verify};

/// Host key algorithms to ask a fingerprints-only server for, one probe each.
const PROBE_ALGORITHMS: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
];
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Serialize)]
struct Report {
    target: String,
    instance: String,
    names: Vec<String>,
    source: &'static str,
    keys: Vec<KeyReport>,
}

#[derive(Serialize)]
struct KeyReport {
    #[serde(rename = "type")]
    algorithm: String,
    key: String,
    fingerprint: String,
}

pub fn run(global: &Global, args: &FetchArgs) -> Result<()> {
    let cache = Cache::from_args(&args.cache);
    let path = known_hosts_path(&args.file)?;
    let mut reports = Vec::new();
    for target in &args.targets {
        let cold = verify::cold_lookup(global, &Target::classify(target), args.wait)?;
        let address = cold
            .instance
            .address()
            .expect("resolve only returns instances with an address");
        let (keys, source) = match &cold.source {
            Source::Seed(_) => (cold.console.keys.clone(), "seed"),
            Source::Console => trusted_keys(&cold.instance.id, &cold.console, address, args.port)?,
        };
        let names = names_for(&[target], args.port, &cold.instance);
        let lookup = crate::known_hosts::lookup_name(target, args.port);
        verify::remember(
            cache.as_ref(),
            &cold.instance,
            &keys,
            &lookup,
            address,
            &names,
        );
        if args.write {
            let comment = format!("ec2-hostkey:{}", cold.instance.id);
            known_hosts::update(&path, |file| {
                let hash = || args.file.hash || known_hosts::ssh_config_hashes(target);
                let changed = file.replace(&names, &keys, hash, Some(&comment));
                (changed, ())
            })?;
        }
        reports.push(Report {
            target: target.clone(),
            instance: cold.instance.id.clone(),
            names,
            source,
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
    if args.write && !global.quiet {
        eprintln!(
            "ec2-hostkey: recorded verified keys for {} target(s) in {}",
            reports.len(),
            path.display()
        );
    }
    Ok(())
}

/// The keys the console vouches for: the KEYS block, or probed keys whose fingerprints it lists.
pub fn trusted_keys(
    id: &str,
    console: &ConsoleKeys,
    address: &str,
    port: u16,
) -> Result<(Vec<PublicKey>, &'static str)> {
    if !console.keys.is_empty() {
        return Ok((console.keys.clone(), "console-keys"));
    }
    let ip: IpAddr = address
        .parse()
        .context("EC2 returned an address that is not an IP")?;
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut unlisted = Vec::new();
    for algorithm in PROBE_ALGORITHMS {
        let Ok(mut socket) = TcpStream::connect_timeout(&SocketAddr::new(ip, port), PROBE_TIMEOUT)
        else {
            bail!("cannot connect to {address} port {port} to probe its host keys");
        };
        socket.set_read_timeout(Some(PROBE_TIMEOUT)).ok();
        // A server without this key type ends the exchange: not an error.
        let Ok(key) = kex::probe(&mut socket, Some(algorithm)) else {
            continue;
        };
        if console.lists_fingerprint_of(&key) {
            if !keys.iter().any(|k| k.key_data() == key.key_data()) {
                keys.push(key);
            }
        } else {
            unlisted.push(crate::sources::describe_key(&key));
        }
    }
    if !unlisted.is_empty() {
        return Err(sources::Error::Mismatch {
            id: id.to_string(),
            vouched_by: "the instance's console output".to_string(),
            address: address.to_string(),
            presented: unlisted.join(", "),
            listed: format!("{} fingerprint(s)", console.fingerprints.len()),
        }
        .into());
    }
    if keys.is_empty() {
        bail!(
            "the console lists only fingerprints and no live key at {address} port {port} matches them"
        );
    }
    Ok((keys, "console-fingerprints+probe"))
}

fn key_report(key: &PublicKey) -> KeyReport {
    let text = KeyText::of(key);
    KeyReport {
        algorithm: text.algorithm,
        key: text.data,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    }
}
