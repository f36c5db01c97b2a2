//! `known-hosts HOST [KEYTYPE KEY]`: the KnownHostsCommand. Prints verified
//! known_hosts lines for HOST on stdout and writes no known_hosts file.
//!
//! ssh runs it up to three times per connection (ssh_config(5),
//! KnownHostsCommand): for `ORDER` with no key (`NONE`), to set the host key
//! algorithm preference, where we answer from the cache or not at all; then
//! with the key the server offered, for the host name and, with CheckHostIP,
//! the address. A non-zero exit aborts the connection, so we exit non-zero
//! only on a definite mismatch; when we cannot vouch we print nothing and say
//! why, and ssh's own checks refuse the unknown key.

use std::io::Write;

use anyhow::Result;
use ssh_key::PublicKey;

use super::settings::Settings;
use crate::cli::KnownHostsCmdArgs;
use crate::net::kex::Presented;
use crate::store::files::ssh_home_dir;
use crate::store::known_hosts::{KeyText, lookup_name};
use crate::trust::names::{PublicNames, judge_move};
use crate::trust::policy::{self, Remembered, Warm};
use crate::trust::publish;
use crate::trust::resolve::Target;
use crate::trust::{resolve, sources};

/// The key ssh offers (`%t %K`): a plain host key, or a host certificate's
/// own key. A certificate vouches for nothing (anyone can sign anything);
/// ssh, finding no `@cert-authority` line for it, checks its plain key
/// against the lines we print.
fn offered_key(key_type: &str, key: &str) -> Option<Presented> {
    use base64::Engine;
    if key_type.ends_with("-cert-v01@openssh.com") && !key_type.starts_with("sk-") {
        // By the blob, whose own name is the key type's (%t may name the
        // signature algorithm, rsa-sha2-512-cert-v01@openssh.com).
        let blob = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
        let certificate = ssh_key::Certificate::from_bytes(&blob).ok()?;
        return Some(Presented {
            key: PublicKey::from(certificate.public_key().clone()),
            certificate: Some(certificate),
        });
    }
    let key = PublicKey::from_openssh(&format!("{key_type} {key}")).ok()?;
    Some(Presented {
        key,
        certificate: None,
    })
}

pub fn run(settings: &Settings, args: &KnownHostsCmdArgs) -> Result<()> {
    let (host, port) = split_host_port(&args.host);
    let lookup = lookup_name(host, port);
    let cache = settings.cache(&args.cache);
    let sources = settings.sources(&args.source).for_connection();
    let warm = cache
        .as_ref()
        .and_then(|c| Warm::load(c, &lookup, settings.resolve.address, &sources));

    let presented = match (args.key_type.as_deref(), args.key.as_deref()) {
        (Some(t), Some(k)) if t != "NONE" && k != "NONE" => match offered_key(t, k) {
            Some(presented) => Some(presented),
            None => {
                note(
                    settings,
                    &format!(
                        "cannot vouch for a {t} key (not a plain host key); leaving it to known_hosts"
                    ),
                );
                return Ok(());
            }
        },
        _ => None,
    };

    let Some(presented) = presented else {
        // ORDER: no network; the verified keys set the algorithm preference if we know them.
        if let Some(warm) = warm {
            print_lines(&args.host, &warm.keys.public_keys().unwrap_or_default())?;
        }
        return Ok(());
    };

    // The user's own @revoked lines win over every source, as in ssh.
    let user_file = settings
        .file
        .known_hosts
        .clone()
        .or_else(|| ssh_home_dir().map(|home| home.join(".ssh/known_hosts")));
    if let Some(file) = &user_file {
        let revocations = crate::store::known_hosts::read(file)?;
        policy::refuse_revoked(&revocations, file, &presented, host)?;
    }
    let offered = presented.key;
    if let Some(warm) = &warm
        && warm.keys.vouches_for(&offered)
    {
        return print_lines(&args.host, &warm.keys.public_keys().unwrap_or_default());
    }

    let target = Target::classify(host);
    let wait = settings.wait(args.wait);
    let found = policy::connection_lookup(
        settings.lookup(&sources),
        &target,
        wait,
        cache.as_ref(),
        |_| (),
    )
    .and_then(|(cold, ())| {
        // Keys known for the instance, or the team store's record, that do
        // not include the offered one (a re-key?): the sources decide.
        if !cold.needs_sources(&offered) {
            return Ok(cold);
        }
        let address = cold.instance.address().unwrap_or_default().to_string();
        policy::confirm_with_sources(cold, &offered, &address, &sources, &|sources| {
            policy::cold_lookup(settings.lookup(sources), &target, wait, cache.as_ref())
        })
    });
    let cold = match found {
        Ok(cold) => cold,
        Err(err) if cannot_vouch(&err) => {
            note(settings, &format!("{err:#}"));
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    let address = cold.instance.address().unwrap_or_default().to_string();
    let keys = cold.check(&address, &offered)?;
    // This mode writes no file: the cache remembers which instance the name
    // led to last. Said (or refused) before anything is remembered.
    if !matches!(target, Target::InstanceId(_)) && !PublicNames::of([&cold.instance]).owns(&lookup)
    {
        let before = cache
            .as_ref()
            .and_then(|c| c.last_name(&lookup))
            .map(|r| r.instance);
        let recorded_in = "the cache of earlier verifications";
        let now = &cold.instance.id;
        if let Some(warning) = judge_move(before, recorded_in, &lookup, now, settings.on_name_move)?
        {
            crate::text::warn(settings.quiet, &warning);
        }
    }
    cold.after_verified_connection(&settings.aws, settings.quiet);
    publish::publish_verified(
        &settings.aws,
        sources.store.as_ref(),
        &cold.instance,
        &cold.found(keys.clone(), cold.source.label()),
        settings.quiet,
    );
    let names = vec![lookup.clone()];
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
    print_lines(&args.host, &keys)
}

/// Errors that mean "not ours to decide": leave the verdict to known_hosts.
fn cannot_vouch(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        matches!(
            c.downcast_ref::<resolve::Error>(),
            Some(resolve::Error::NotFound { .. } | resolve::Error::DnsNotAnInstance { .. })
        ) || c
            .downcast_ref::<sources::Error>()
            .is_some_and(sources::Error::is_unavailable)
    })
}

fn note(settings: &Settings, text: &str) {
    crate::text::note(settings.quiet, text);
}

fn print_lines(host: &str, keys: &[PublicKey]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for key in keys {
        writeln!(out, "{host} {}", KeyText::of(key))?;
    }
    out.flush()?;
    Ok(())
}

/// `[host]:port` → (host, port); anything else is a host on port 22.
fn split_host_port(name: &str) -> (&str, u16) {
    if let Some(rest) = name.strip_prefix('[')
        && let Some((host, port)) = rest.split_once("]:")
        && let Ok(port) = port.parse()
    {
        return (host, port);
    }
    (name, 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_bracketed_names() {
        assert_eq!(split_host_port("[web]:2222"), ("web", 2222));
        assert_eq!(split_host_port("web"), ("web", 22));
        assert_eq!(split_host_port("[web]"), ("[web]", 22));
    }
}
