//! From what the user typed (instance id, Name tag, DNS name, IP) to the one
//! running instance it means.
//!
//! Names and addresses are recycled (trust rule 6), so every answer comes
//! from a fresh DescribeInstances and must be unambiguous.

use std::net::{IpAddr, SocketAddr};

use crate::aws::{
    ec2::{Ec2, Instance, Query, Side},
    shapes,
};

/// How a target is looked up: which address to use, and where DNS aliases are resolved.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub address: AddressMode,
    pub nameserver: Option<SocketAddr>,
}

/// Which address of an instance to connect to and record (`--address`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressMode {
    /// The side of the name typed, else public when there is one.
    #[default]
    Auto,
    Public,
    Private,
}

impl AddressMode {
    /// The side asked for, if not left to the name typed.
    pub fn side(self) -> Option<Side> {
        match self {
            AddressMode::Auto => None,
            AddressMode::Public => Some(Side::Public),
            AddressMode::Private => Some(Side::Private),
        }
    }
}

/// What kind of name the user gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    InstanceId(String),
    Ip(IpAddr),
    PublicDns(String),
    PrivateDns(String),
    Name(String),
}

impl Target {
    pub fn classify(host: &str) -> Target {
        let lower = host.to_ascii_lowercase();
        if shapes::is_instance_id(&lower) {
            Target::InstanceId(lower)
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            Target::Ip(ip)
        } else if shapes::is_ec2_public_dns(&lower) {
            Target::PublicDns(lower)
        } else if shapes::is_ec2_private_dns(&lower) {
            Target::PrivateDns(lower)
        } else {
            Target::Name(host.to_string())
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::InstanceId(id) => write!(f, "instance {id}"),
            Target::Ip(ip) => write!(f, "address {ip}"),
            Target::PublicDns(name) | Target::PrivateDns(name) => write!(f, "DNS name {name}"),
            Target::Name(name) if name.contains('.') => write!(f, "DNS alias or Name tag {name:?}"),
            Target::Name(name) => write!(f, "Name tag {name:?}"),
        }
    }
}

pub use crate::error::LocateError as Error;

/// One account to search: its client for its first region (the role
/// assumed), or why it cannot be asked, and the regions to search.
pub struct Home {
    pub ec2: Result<Ec2, crate::error::AwsError>,
    pub regions: Vec<String>,
    /// `name (id)` of a configured account; `None`: the credentials' own.
    pub account: Option<String>,
}

impl Home {
    /// The clients to ask: one per region searched.
    pub fn clients(&self) -> Vec<Ec2> {
        self.ec2
            .as_ref()
            .map(|ec2| ec2.with_regions(&self.regions))
            .unwrap_or_default()
    }

    /// Why this account cannot be asked, said with its name when it has one.
    fn failure(&self) -> Option<Error> {
        let err = self.ec2.as_ref().err()?.clone();
        Some(in_account(self.account.as_deref(), err))
    }
}

/// An AWS failure, naming the account when several are configured (a role
/// refusal names it already).
fn in_account(account: Option<&str>, error: crate::error::AwsError) -> Error {
    match (account, error) {
        (_, error @ crate::error::AwsError::RoleRefused { .. }) | (None, error) => {
            Error::Aws(error)
        }
        (Some(account), error) => Error::InAccount {
            account: account.to_string(),
            error,
        },
    }
}

/// Every account's client, built at once (the roles assumed together).
pub async fn homes(accounts: &[crate::aws::Config]) -> Vec<Home> {
    futures_util::future::join_all(accounts.iter().map(|config| async move {
        Home {
            ec2: Ec2::new(config).await,
            regions: config.regions.clone(),
            account: config.account_label(),
        }
    }))
    .await
}

/// Finds the one running instance `target` names in every account's
/// regions, all asked at once (an account without regions: its configured
/// region, then — for an instance id, which is unique — every other
/// enabled region). Returns the client for the instance's account and
/// region with it.
///
/// An account that cannot be asked does not stop the others from finding
/// an instance id (unique); a name or an address found elsewhere is refused
/// ([`Error::Incomplete`]): the account could hold it too. Found nowhere,
/// the account's failure is the error.
///
/// # Errors
/// None or several match, the instance is not running, or the API failed.
pub async fn locate(
    homes: &[Home],
    target: &Target,
    options: Options,
) -> Result<(Ec2, Instance), Error> {
    let clients: Vec<Ec2> = homes.iter().flat_map(Home::clients).collect();
    let searched = search_for(&clients, target, options).await?;
    let (mut found, dns_said) = (searched.found, searched.dns_said);
    // One account reached two ways (a profile entry and a role) finds the
    // same instance twice: it is one holder.
    let mut seen = std::collections::HashSet::new();
    found.retain(|(_, i)| seen.insert(i.id.clone()));
    // Places that could not be asked: accounts, or regions of one.
    let mut failed: Vec<Error> = homes.iter().filter_map(Home::failure).collect();
    failed.extend(searched.failed);
    // Every holder counts towards ambiguity, wherever it is: one place's
    // several, the ones without an address on the side asked, and a
    // stopped or pending one (another account's running instance of that
    // name must not win while the one meant is down).
    let mut holders: Vec<String> = found
        .iter()
        .map(|(ec2, i)| format!("{} in {}", i.id, ec2.place()))
        .collect();
    let mut unusable: Vec<Error> = Vec::new();
    let mut stopped: Vec<Error> = Vec::new();
    for (place, err) in searched.answered {
        match err {
            Error::Ambiguous { ids, .. } => {
                holders.extend(ids.split(", ").map(|id| format!("{id} in {place}")));
            }
            Error::NoAddress { ref id, .. } => {
                holders.push(format!("{id} in {place}"));
                unusable.push(err);
            }
            Error::NotRunning {
                ref id, ref state, ..
            } => {
                holders.push(format!("{id} ({state}) in {place}"));
                stopped.push(err);
            }
            err => stopped.push(err),
        }
    }
    if holders.len() > 1 {
        return Err(Error::Ambiguous {
            target: target.to_string(),
            count: holders.len(),
            ids: holders.join(", "),
        });
    }
    if let Some(err) = unusable.pop() {
        return Err(err);
    }
    if let Some((ec2, instance)) = found.pop() {
        // An id is unique: found, it is the one. A name or an address could
        // also be held where no one could ask: picking the one found would
        // let whoever breaks an account's lookup choose the instance.
        if let Some(err) = failed
            .into_iter()
            .next()
            .filter(|_| !matches!(target, Target::InstanceId(_)))
        {
            return Err(Error::Incomplete {
                target: target.to_string(),
                found: format!("{} in {}", instance.id, ec2.place()),
                why: err.to_string(),
            });
        }
        return Ok((ec2, instance));
    }
    failed.splice(0..0, stopped);
    if !failed.is_empty() {
        return Err(failed.remove(0));
    }
    let searched: Vec<String> = clients.iter().map(Ec2::place).collect();
    if let Some((name, addresses)) = dns_said {
        return Err(Error::DnsNotAnInstance {
            name,
            addresses,
            regions: searched.join(", "),
        });
    }
    let unbounded: Vec<&Ec2> = homes
        .iter()
        .filter(|h| h.regions.is_empty())
        .filter_map(|h| h.ec2.as_ref().ok())
        .collect();
    if !unbounded.is_empty() && matches!(target, Target::InstanceId(_)) {
        let searches = unbounded
            .iter()
            .map(|home| search_other_regions(home, target, options));
        for found in futures_util::future::join_all(searches).await {
            if let Some(found) = found? {
                return Ok(found);
            }
        }
        return Err(Error::NotFound {
            target: target.to_string(),
            regions: if homes.len() > 1 {
                "any enabled region of the accounts searched".into()
            } else {
                "any enabled region".into()
            },
        });
    }
    Err(Error::NotFound {
        target: target.to_string(),
        regions: searched.join(", "),
    })
}

/// What a name is looked up as in every place searched.
enum Ask<'a> {
    /// The target as it is (an id, an address, an EC2 DNS name).
    Target,
    /// A Name tag.
    Tag(&'a str),
    /// Where DNS said a name leads.
    Answer(&'a str, &'a crate::net::dns::Answer),
}

/// The answers of every place searched.
#[derive(Default)]
struct Searched {
    found: Vec<(Ec2, Instance)>,
    /// Answers about instances that cannot be used (several, not running,
    /// no address), with the place ([`Ec2::place`]) that gave each.
    answered: Vec<(String, Error)>,
    /// AWS failures, naming the account.
    failed: Vec<Error>,
    /// A DNS answer that led to no instance: (name, what it said).
    dns_said: Option<(String, String)>,
}

/// Looks `target` up in every place at once. A name is resolved in DNS
/// once, not once per place: a dotted name is asked of DNS first (a
/// positive answer is final, as for plain ssh; trust rule 3), a bare one
/// only when no place holds it as a Name tag.
async fn search_for(clients: &[Ec2], target: &Target, options: Options) -> Result<Searched, Error> {
    let Target::Name(name) = target else {
        return Ok(search(clients, target, &Ask::Target, options).await);
    };
    if !is_dns_name(name) {
        return Ok(search(clients, target, &Ask::Tag(name), options).await);
    }
    if !name.contains('.') {
        let tagged = search(clients, target, &Ask::Tag(name), options).await;
        let none =
            tagged.found.is_empty() && tagged.answered.is_empty() && tagged.failed.is_empty();
        if !none {
            return Ok(tagged);
        }
    }
    Ok(
        match crate::net::dns::resolve(name, options.nameserver).await? {
            Some(answer) => search(clients, target, &Ask::Answer(name, &answer), options).await,
            None if name.contains('.') => search(clients, target, &Ask::Tag(name), options).await,
            None => Searched::default(),
        },
    )
}

/// One question asked of every place at once.
async fn search(clients: &[Ec2], target: &Target, ask: &Ask<'_>, options: Options) -> Searched {
    let answers = futures_util::future::join_all(
        clients.iter().map(|ec2| find_by(ec2, target, ask, options)),
    )
    .await;
    let mut searched = Searched::default();
    for (ec2, answer) in clients.iter().zip(answers) {
        match answer {
            Ok(instance) => searched.found.push((ec2.clone(), instance)),
            Err(Error::NotFound { .. }) => {}
            Err(Error::DnsNotAnInstance {
                name, addresses, ..
            }) => searched.dns_said = Some((name, addresses)),
            Err(Error::Aws(err)) => searched.failed.push(in_account(ec2.account(), err)),
            Err(err) => searched.answered.push((ec2.place(), err)),
        }
    }
    searched
}

/// The one running instance `ask` finds in `ec2`'s place (an account's region).
///
/// # Errors
/// None or several match, the instance is not running, or the API failed.
async fn find_by(
    ec2: &Ec2,
    target: &Target,
    ask: &Ask<'_>,
    options: Options,
) -> Result<Instance, Error> {
    let (found, side) = match ask {
        Ask::Target => candidates(ec2, target, options).await?,
        Ask::Tag(name) => (by_name_tag(ec2, name).await?, None),
        Ask::Answer(name, answer) => by_answer(ec2, name, answer).await?,
    };
    let mut instance = pick(target, found, &ec2.region())?;
    choose_side(&mut instance, side, options.address)?;
    Ok(instance)
}

/// Looks for `target` in every enabled region but `home`'s, all at once.
async fn search_other_regions(
    home: &Ec2,
    target: &Target,
    options: Options,
) -> Result<Option<(Ec2, Instance)>, Error> {
    let regions = match home.regions().await {
        Ok(regions) => regions,
        Err(err) => {
            tracing::debug!("not searching other regions: {err}");
            return Ok(None);
        }
    };
    let mut searches = tokio::task::JoinSet::new();
    for region in regions.into_iter().filter(|r| *r != home.region()) {
        let ec2 = home.in_region(&region);
        let target = target.clone();
        searches.spawn(async move {
            let found = find_by(&ec2, &target, &Ask::Target, options).await;
            (ec2, found)
        });
    }
    while let Some(Ok((ec2, found))) = searches.join_next().await {
        match found {
            Ok(instance) => return Ok(Some((ec2, instance))),
            Err(Error::NotFound { .. }) => {}
            Err(err) => tracing::debug!(region = %ec2.place(), "search failed: {err}"),
        }
    }
    Ok(None)
}

/// The instance `target` names in any state (running first) in any of the
/// accounts' regions, for commands that clean up after instances; `None`
/// when EC2 knows no such instance where it was asked.
///
/// # Errors
/// Several running instances match, or an account that was needed could
/// not be asked.
pub async fn find_any_in(
    homes: &[Home],
    target: &Target,
    options: Options,
) -> Result<Option<Instance>, Error> {
    let clients: Vec<Ec2> = homes.iter().flat_map(Home::clients).collect();
    let answers =
        futures_util::future::join_all(clients.iter().map(|ec2| find_any(ec2, target, options)))
            .await;
    let mut found = Vec::new();
    let mut failed: Vec<Error> = homes.iter().filter_map(Home::failure).collect();
    let mut dns_said = None;
    for (ec2, answer) in clients.iter().zip(answers) {
        match answer {
            Ok(Some(instance)) => found.push(instance),
            Ok(None) => {}
            Err(Error::Aws(err)) => failed.push(in_account(ec2.account(), err)),
            // Where DNS leads, this place holds nothing; another may.
            Err(err @ Error::DnsNotAnInstance { .. }) => dns_said = Some(err),
            Err(err) => return Err(err),
        }
    }
    if let (true, Some(err)) = (found.is_empty() && failed.is_empty(), dns_said) {
        return Err(err);
    }
    found.sort_by_key(|i| i.state != "running");
    let running: Vec<&Instance> = found.iter().filter(|i| i.state == "running").collect();
    if running.len() > 1 {
        return Err(Error::Ambiguous {
            target: target.to_string(),
            count: running.len(),
            ids: running
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let partial = !matches!(target, Target::InstanceId(_));
    match (found.into_iter().next(), failed.into_iter().next()) {
        (Some(instance), Some(err)) if partial => Err(Error::Incomplete {
            target: target.to_string(),
            found: format!("{} in {}", instance.id, instance.region),
            why: err.to_string(),
        }),
        (Some(instance), _) => Ok(Some(instance)),
        (None, Some(err)) => Err(err),
        (None, None) => Ok(None),
    }
}

/// The instance `target` names in any state (running first), for commands
/// that clean up after instances; `None` when EC2 knows no such instance.
pub async fn find_any(
    ec2: &Ec2,
    target: &Target,
    options: Options,
) -> Result<Option<Instance>, Error> {
    let (mut found, _) = candidates(ec2, target, options).await?;
    found.sort_by_key(|i| i.state != "running");
    let running = found.iter().filter(|i| i.state == "running").count();
    if running > 1 {
        return Err(Error::Ambiguous {
            target: target.to_string(),
            count: running,
            ids: found
                .iter()
                .filter(|i| i.state == "running")
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(found.into_iter().next())
}

/// The instances `target` may mean, and which side of them the name is on
/// when it says (a private IP or DNS name is on the private side).
async fn candidates(
    ec2: &Ec2,
    target: &Target,
    options: Options,
) -> Result<(Vec<Instance>, Option<Side>), Error> {
    Ok(match target {
        Target::InstanceId(id) => (ec2.describe(&Query::Ids(vec![id.clone()])).await?, None),
        Target::Ip(ip) => by_ip(ec2, *ip).await?,
        Target::PublicDns(name) => by_dns_name(ec2, name, Side::Public).await?,
        Target::PrivateDns(name) => by_dns_name(ec2, name, Side::Private).await?,
        // A dotted name is more likely a DNS alias than a Name tag; a bare
        // one may still resolve through the resolver's search domains. A
        // positive DNS answer is final (plain ssh would go there too): only
        // a name DNS does not know falls back to Name tags (trust rule 3).
        Target::Name(name) if name.contains('.') && is_dns_name(name) => {
            match by_dns(ec2, name, options).await? {
                Some(found) => found,
                None => (by_name_tag(ec2, name).await?, None),
            }
        }
        Target::Name(name) => {
            let tagged = by_name_tag(ec2, name).await?;
            if tagged.is_empty() && is_dns_name(name) {
                by_dns(ec2, name, options).await?.unwrap_or_default()
            } else {
                (tagged, None)
            }
        }
    })
}

/// The instances holding an EC2 DNS name on `side`.
async fn by_dns_name(
    ec2: &Ec2,
    name: &str,
    side: Side,
) -> Result<(Vec<Instance>, Option<Side>), Error> {
    let key = match side {
        Side::Public => "dns-name",
        Side::Private => "private-dns-name",
    };
    Ok((ec2.describe(&filter(key, name)).await?, Some(side)))
}

async fn by_ip(ec2: &Ec2, ip: IpAddr) -> Result<(Vec<Instance>, Option<Side>), Error> {
    let ip = ip.to_string();
    let public = ec2.describe(&filter("ip-address", &ip)).await?;
    if !public.is_empty() {
        return Ok((public, Some(Side::Public)));
    }
    let private = ec2.describe(&filter("private-ip-address", &ip)).await?;
    Ok((private, Some(Side::Private)))
}

/// Follows a DNS alias to an EC2 DNS name on its CNAME chain, else to the
/// instance holding its address. `None` only when DNS does not know the
/// name; an answer that leads to no instance is an error.
async fn by_dns(
    ec2: &Ec2,
    name: &str,
    options: Options,
) -> Result<Option<(Vec<Instance>, Option<Side>)>, Error> {
    let Some(answer) = crate::net::dns::resolve(name, options.nameserver).await? else {
        return Ok(None);
    };
    Ok(Some(by_answer(ec2, name, &answer).await?))
}

/// The instances DNS's `answer` for `name` leads to in `ec2`'s place.
///
/// # Errors
/// The answer leads to no instance there ([`Error::DnsNotAnInstance`]).
async fn by_answer(
    ec2: &Ec2,
    name: &str,
    answer: &crate::net::dns::Answer,
) -> Result<(Vec<Instance>, Option<Side>), Error> {
    for ec2_name in &answer.cnames {
        let found = match Target::classify(ec2_name) {
            Target::PublicDns(name) => by_dns_name(ec2, &name, Side::Public).await?,
            Target::PrivateDns(name) => by_dns_name(ec2, &name, Side::Private).await?,
            _ => continue,
        };
        if !found.0.is_empty() {
            return Ok(found);
        }
    }
    for ip in &answer.addresses {
        let found = by_ip(ec2, *ip).await?;
        if !found.0.is_empty() {
            return Ok(found);
        }
    }
    let mut said: Vec<String> = answer
        .cnames
        .iter()
        .filter(|n| shapes::is_ec2_public_dns(n) || shapes::is_ec2_private_dns(n))
        .cloned()
        .collect();
    said.extend(answer.addresses.iter().map(ToString::to_string));
    Err(Error::DnsNotAnInstance {
        name: name.to_string(),
        addresses: if said.is_empty() {
            "no address".into()
        } else {
            said.join(", ")
        },
        regions: ec2.region(),
    })
}

/// Running or not, every instance whose Name tag equals `name` ignoring
/// case: ssh lowercases the host before %h expands, so "WebServer" arrives
/// as "webserver" — and a case variant must make the name ambiguous, never
/// lose to an exact match (EC2's tag filters are case-sensitive, so EC2 is
/// asked for every name of that shape and the comparison is made here).
async fn by_name_tag(ec2: &Ec2, name: &str) -> Result<Vec<Instance>, Error> {
    Ok(ec2
        .describe(&filter("tag:Name", &case_blind_pattern(name)))
        .await?
        .into_iter()
        .filter(|i| {
            i.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .collect())
}

/// An EC2 filter value that matches `name` in any case: each letter becomes
/// `?` (one character), anything else is matched literally. EC2 narrows the
/// answer to names of that shape; the exact comparison is ours.
fn case_blind_pattern(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            c if c.is_ascii_alphabetic() => out.push('?'),
            '*' | '?' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Sets which address of `instance` is used: the one `--address` asks for,
/// else the side the name was on, else public when there is one.
pub fn choose_side(
    instance: &mut Instance,
    named: Option<Side>,
    mode: AddressMode,
) -> Result<(), Error> {
    instance.side = match mode {
        AddressMode::Public => Side::Public,
        AddressMode::Private => Side::Private,
        AddressMode::Auto => named.unwrap_or(instance.side),
    };
    if instance.address().is_none() {
        let (side, remedy) = match instance.side {
            Side::Public => (
                "public",
                "connect over its private address with --address private",
            ),
            Side::Private => ("private", "try --address public"),
        };
        return Err(Error::NoAddress {
            id: instance.id.clone(),
            side,
            remedy,
        });
    }
    Ok(())
}

/// Letters, digits, `-`, `_` and dots, as host names are: anything else
/// (a Name tag like `web;1`) is never sent to DNS.
fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn filter(name: &'static str, value: &str) -> Query {
    Query::Filter {
        name,
        values: vec![value.to_string()],
    }
}

fn pick(target: &Target, candidates: Vec<Instance>, region: &str) -> Result<Instance, Error> {
    let (running, others): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|i| i.state == "running");
    match running.len() {
        1 => Ok(running.into_iter().next().expect("one element")),
        0 => {
            let live = others
                .into_iter()
                .find(|i| i.state != "terminated" && i.state != "shutting-down");
            match live {
                Some(i) => Err(Error::NotRunning {
                    remedy: remedy_for(&i.state),
                    id: i.id,
                    state: i.state,
                }),
                None => Err(Error::NotFound {
                    target: target.to_string(),
                    regions: region.to_string(),
                }),
            }
        }
        count => Err(Error::Ambiguous {
            target: target.to_string(),
            count,
            ids: running
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn remedy_for(state: &str) -> &'static str {
    match state {
        "pending" => "it is still booting; retry in a moment",
        "stopped" | "stopping" => "start it first (aws ec2 start-instances)",
        _ => "wait until it is running",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind_of_target() {
        assert_eq!(
            Target::classify("i-0123456789abcdef0"),
            Target::InstanceId("i-0123456789abcdef0".into())
        );
        assert_eq!(
            Target::classify("i-12345678"),
            Target::InstanceId("i-12345678".into())
        );
        assert_eq!(
            Target::classify("10.1.2.3"),
            Target::Ip("10.1.2.3".parse().unwrap())
        );
        assert_eq!(
            Target::classify("ec2-3-4-5-6.compute-1.amazonaws.com"),
            Target::PublicDns("ec2-3-4-5-6.compute-1.amazonaws.com".into())
        );
        assert_eq!(
            Target::classify("ip-10-0-0-1.ec2.internal"),
            Target::PrivateDns("ip-10-0-0-1.ec2.internal".into())
        );
        assert_eq!(Target::classify("web-1"), Target::Name("web-1".into()));
        assert_eq!(Target::classify("i-xyz"), Target::Name("i-xyz".into()));
    }

    #[test]
    fn name_patterns_match_every_case_and_nothing_else_literally() {
        assert_eq!(case_blind_pattern("Web-1"), "???-1");
        assert_eq!(case_blind_pattern("a*b?c\\"), "?\\*?\\??\\\\");
    }
}
