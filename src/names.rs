//! Which names an instance's keys are recorded under in known_hosts.

use crate::ec2::Instance;
use crate::known_hosts::lookup_name;

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

/// Letters, digits, `.`, `-`, `_` and `:` (IPv6), not starting with `-`.
pub fn is_plain_host_name(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with('-')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}
