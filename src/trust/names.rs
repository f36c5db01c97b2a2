//! Names: which names an instance's keys are recorded under, and which known_hosts names the tool may change
//! (SECURITY.md, trust rule 3).

use std::collections::HashSet;

use crate::aws::ec2::Instance;
use crate::aws::shapes::is_ec2_shaped;
use crate::store::known_hosts::{KnownHosts, lookup_name};

/// What to do when a name now leads to another instance than the one its
/// lines were recorded for (`--on-name-move`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnNameMove {
    #[default]
    Warn,
    Refuse,
    Accept,
}

/// Checks whether `lookup` (a Name tag or DNS alias the user typed, in
/// `host`/`[host]:port` form) has moved: the tool's own lines for it in
/// `path` were recorded for another instance than `now`. An autoscaling
/// group replacing `web-1` moves it; so can anyone with
/// `ec2:RunInstances` and `ec2:CreateTags` once the old one stops, or a
/// spoofed DNS answer. Plain ssh would say the key changed; so do we.
///
/// Returns the warning to print (with `warn`), nothing when the name did
/// not move or the move is accepted.
///
/// # Errors
/// With `refuse`, the move (exit 5).
pub fn check_moved(
    file: &KnownHosts,
    path: &std::path::Path,
    lookup: &str,
    now: &str,
    on_move: OnNameMove,
) -> Result<Option<String>, crate::error::KeysError> {
    if on_move == OnNameMove::Accept {
        return Ok(None);
    }
    let before = moved_from(file, lookup, now);
    judge_move(before, &path.display().to_string(), lookup, now, on_move)
}

/// The verdict on a name recorded (in `recorded_in`) for `before` that now
/// leads to `now`: nothing when it did not move or the move is accepted,
/// the warning to print with `warn`, the error with `refuse`.
///
/// # Errors
/// With `refuse`, the move (exit 5).
pub fn judge_move(
    before: Option<String>,
    recorded_in: &str,
    lookup: &str,
    now: &str,
    on_move: OnNameMove,
) -> Result<Option<String>, crate::error::KeysError> {
    let Some(before) = before.filter(|b| b != now) else {
        return Ok(None);
    };
    let name = bare_host(lookup).to_string();
    match on_move {
        OnNameMove::Accept => Ok(None),
        OnNameMove::Refuse => Err(crate::error::KeysError::NameMoved {
            name,
            from: before,
            to: now.to_string(),
            recorded_in: recorded_in.to_string(),
        }),
        OnNameMove::Warn => Ok(Some(format!(
            "{name} has moved: {recorded_in} recorded it for {before}, and it now leads to {now}; connecting to {now}, whose keys are verified (--on-name-move refuse stops here instead)"
        ))),
    }
}

/// The instance the tool's own lines for `lookup` were recorded for, when
/// it is not `now`.
pub fn moved_from(file: &KnownHosts, lookup: &str, now: &str) -> Option<String> {
    file.entries()
        .map(|(_, entry)| entry)
        .filter(|e| e.marker.is_none() && e.names_exactly(lookup))
        .filter_map(|e| e.marked_instance())
        .find(|id| *id != now)
        .map(str::to_string)
}

/// `[host]:port` → `host`; anything else as it is.
pub fn bare_host(lookup: &str) -> &str {
    lookup
        .strip_prefix('[')
        .and_then(|r| r.split_once("]:"))
        .map_or(lookup, |(h, _)| h)
}

/// The AWS-assigned names whose known_hosts lines the tool may change even
/// when it did not write them: exactly the instance ids, and the public DNS
/// names and public IPs that EC2 reports for running instances (an id is
/// assigned by AWS and never reused, so its line is about nothing else; not every name shaped
/// like one: `ec2-….amazonaws.com` names of other accounts, or a Name tag
/// spelled like one, are not ours). Name tags, DNS aliases, private names and
/// addresses are never here: they may select an instance, never claim
/// someone else's line.
#[derive(Debug, Default)]
pub struct PublicNames {
    names: HashSet<String>,
}

impl PublicNames {
    pub fn of<'a>(instances: impl IntoIterator<Item = &'a Instance>) -> PublicNames {
        let names = instances
            .into_iter()
            .filter(|i| i.state == "running")
            .flat_map(Instance::public_names)
            .map(str::to_ascii_lowercase)
            .collect();
        PublicNames { names }
    }

    /// Addresses known (from an earlier lookup) to be public addresses EC2 assigned.
    pub fn from_addresses<'a>(addresses: impl IntoIterator<Item = &'a String>) -> PublicNames {
        PublicNames {
            names: addresses
                .into_iter()
                .map(|a| a.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether `lookup` (`host` or `[host]:port`) is an AWS-assigned public name.
    pub fn owns(&self, lookup: &str) -> bool {
        self.names.contains(&bare_host(lookup).to_ascii_lowercase())
    }
}

/// Every name ssh or the user may look this host up under — the aliases
/// (the name typed, or an id and Name tag), then the DNS name and address on
/// the side in use — in `[host]:port` form off port 22. An alias is recorded
/// only if it is a plain host name: a Name tag like `a,b` or `*` would otherwise become a pattern in
/// known_hosts and vouch for other hosts.
pub fn names_for(aliases: &[&str], port: u16, instance: &Instance) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for alias in aliases {
        if is_plain_host_name(alias) {
            names.push(lookup_name(alias, port));
        } else {
            tracing::debug!("not recording {alias:?}: not a plain host name");
        }
    }
    for name in [instance.dns_name(), instance.address()]
        .into_iter()
        .flatten()
    {
        let name = lookup_name(name, port);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Whether a Name tag may be recorded as an alias (`sync --aliases`): a
/// single plain label (`web-1`) that does not look like a name or address AWS
/// assigns. A dotted tag (`github.com`) or an address-shaped one could be
/// someone else's host, and recording it would let a tag-writer vouch for
/// that host's key in plain ssh.
pub fn is_recordable_tag(tag: &str) -> bool {
    is_plain_host_name(tag)
        && !tag.contains(['.', ':'])
        && !is_ec2_shaped(tag)
        && tag.parse::<std::net::IpAddr>().is_err()
}

/// Letters, digits, `.`, `-`, `_` and `:` (IPv6), not starting with `-`.
pub fn is_plain_host_name(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with('-')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_aws_assigned_public_names_are_owned() {
        let running = Instance {
            id: "i-0123456789abcdef0".into(),
            state: "running".into(),
            name: Some("github.com".into()),
            public_ip: Some("3.4.5.6".into()),
            public_dns: Some("ec2-3-4-5-6.compute-1.amazonaws.com".into()),
            private_ip: Some("10.0.0.1".into()),
            private_dns: Some("ip-10-0-0-1.ec2.internal".into()),
            seed: None,
            region: "us-east-1".into(),
            side: crate::aws::ec2::Side::Public,
            launched_at: None,
            vpc: None,
            subnet: None,
            account: None,
            account_name: None,
        };
        let owned = PublicNames::of([&running]);
        assert!(owned.owns("3.4.5.6"));
        assert!(owned.owns("[3.4.5.6]:2222"));
        assert!(owned.owns("EC2-3-4-5-6.compute-1.amazonaws.com"));
        // Its id is EC2's name for it: assigned by AWS, never reused.
        assert!(owned.owns("i-0123456789abcdef0"));
        assert!(owned.owns("[i-0123456789abcdef0]:2222"));
        for not_ours in [
            "github.com",
            "10.0.0.1",
            "ip-10-0-0-1.ec2.internal",
            "i-0fedcba9876543210",
            "ec2-9-9-9-9.compute-1.amazonaws.com",
        ] {
            assert!(!owned.owns(not_ours), "{not_ours}");
        }
        let stopped = Instance {
            state: "stopped".into(),
            ..running
        };
        assert!(!PublicNames::of([&stopped]).owns("3.4.5.6"));
    }

    #[test]
    fn only_plain_labels_are_recordable_tags() {
        assert!(is_recordable_tag("web-1"));
        for shadowing in [
            "github.com",
            "3.4.5.6",
            "::1",
            "i-0123456789abcdef0",
            "ec2-3-4-5-6.compute-1.amazonaws.com",
            "ip-10-0-0-1.ec2.internal",
            "a,b",
            "*",
        ] {
            assert!(!is_recordable_tag(shadowing), "{shadowing}");
        }
    }
}
