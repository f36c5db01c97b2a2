//! From what the user typed (instance id, Name tag, DNS name, IP) to the one
//! running instance it means.
//!
//! Names and addresses are recycled (trust rule 6), so every answer comes
//! from a fresh DescribeInstances and must be unambiguous.

use std::net::IpAddr;

use crate::ec2::{self, Ec2, Instance, Query};

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
        if is_instance_id(&lower) {
            Target::InstanceId(lower)
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            Target::Ip(ip)
        } else if lower.ends_with(".amazonaws.com") && lower.starts_with("ec2-") {
            Target::PublicDns(lower)
        } else if lower.ends_with(".compute.internal") || lower.ends_with(".ec2.internal") {
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
            Target::Name(name) => write!(f, "Name tag {name:?}"),
        }
    }
}

fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no instance found for {target} in this region; check the name, or pass --region")]
    NotFound { target: String },
    #[error("{target} matches {count} running instances ({ids}); connect by instance id instead")]
    Ambiguous {
        target: String,
        count: usize,
        ids: String,
    },
    #[error("instance {id} is {state}; {remedy}")]
    NotRunning {
        id: String,
        state: String,
        remedy: &'static str,
    },
    #[error("instance {id} has no IP address to connect to")]
    NoAddress { id: String },
    #[error(transparent)]
    Ec2(#[from] ec2::Error),
}

/// Finds the one running instance `target` names.
///
/// # Errors
/// None or several match, the instance is not running, or the API failed.
pub async fn find_instance(ec2: &Ec2, target: &Target) -> Result<Instance, Error> {
    pick(target, candidates(ec2, target).await?)
}

/// The instance `target` names in any state (running first), for commands
/// that clean up after instances; `None` when EC2 knows no such instance.
pub async fn find_any(ec2: &Ec2, target: &Target) -> Result<Option<Instance>, Error> {
    let mut found = candidates(ec2, target).await?;
    found.sort_by_key(|i| i.state != "running");
    Ok(found.into_iter().next())
}

async fn candidates(ec2: &Ec2, target: &Target) -> Result<Vec<Instance>, Error> {
    Ok(match target {
        Target::InstanceId(id) => ec2.describe(&Query::Ids(vec![id.clone()])).await?,
        Target::Ip(ip) => {
            let ip = ip.to_string();
            let public = ec2.describe(&filter("ip-address", &ip)).await?;
            if public.is_empty() {
                ec2.describe(&filter("private-ip-address", &ip)).await?
            } else {
                public
            }
        }
        Target::PublicDns(name) => ec2.describe(&filter("dns-name", name)).await?,
        Target::PrivateDns(name) => ec2.describe(&filter("private-dns-name", name)).await?,
        Target::Name(name) => {
            let exact = ec2
                .describe(&filter("tag:Name", &escape_filter_value(name)))
                .await?;
            if exact.is_empty() {
                // ssh lowercases the host before %h expands, so "WebServer"
                // arrives as "webserver": compare Name tags without case.
                ec2.describe(&Query::TagKey("Name"))
                    .await?
                    .into_iter()
                    .filter(|i| {
                        i.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                    .collect()
            } else {
                exact
            }
        }
    })
}

/// EC2 filter values treat `*` and `?` as wildcards; a name is matched literally.
fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn filter(name: &'static str, value: &str) -> Query {
    Query::Filter {
        name,
        values: vec![value.to_string()],
    }
}

fn pick(target: &Target, candidates: Vec<Instance>) -> Result<Instance, Error> {
    let (running, others): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|i| i.state == "running");
    match running.len() {
        1 => {
            let instance = running.into_iter().next().expect("one element");
            if instance.address().is_none() {
                return Err(Error::NoAddress { id: instance.id });
            }
            Ok(instance)
        }
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
}
