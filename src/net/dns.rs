//! Following a DNS alias — a CNAME or A/AAAA record the user's zone holds —
//! to the EC2 name or address it points at, with the system resolver
//! configuration (`/etc/resolv.conf`) or `--nameserver`.
//!
//! DNS is not trusted for keys: it only says which instance the user meant,
//! as it would for plain ssh. The keys still come from that instance's
//! console output (or seed) through the authenticated EC2 API.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

/// What a name led to: the names on its CNAME chain (lowercase, no final
/// dot), and the final addresses.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub cnames: Vec<String>,
    pub addresses: Vec<IpAddr>,
}

pub use crate::error::DnsError as Error;

/// However resolv.conf sets timeouts and attempts, ssh is waiting: a lookup
/// gets this long in all.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves `name`; `Ok(None)` when DNS has no such name.
///
/// # Errors
/// The resolver cannot be configured, or the lookup failed for another reason
/// than the name not existing (timeout, SERVFAIL).
pub async fn resolve(name: &str, nameserver: Option<SocketAddr>) -> Result<Option<Answer>, Error> {
    let resolver = resolver(nameserver)?;
    let lookup = tokio::time::timeout(LOOKUP_TIMEOUT, resolver.lookup_ip(name))
        .await
        .map_err(|_| Error::Lookup {
            name: name.to_string(),
            detail: format!("no answer within {}s", LOOKUP_TIMEOUT.as_secs()),
        })?;
    let lookup = match lookup {
        Ok(lookup) => lookup,
        Err(err) if err.is_nx_domain() || err.is_no_records_found() => return Ok(None),
        Err(err) => {
            return Err(Error::Lookup {
                name: name.to_string(),
                detail: err.to_string(),
            });
        }
    };
    let mut answer = Answer::default();
    for record in lookup.as_lookup().answers() {
        match &record.data {
            RData::CNAME(target) => {
                let target = target.0.to_utf8();
                let target = target.trim_end_matches('.').to_ascii_lowercase();
                answer.cnames.push(target);
            }
            RData::A(a) => answer.addresses.push(IpAddr::V4(a.0)),
            RData::AAAA(aaaa) => answer.addresses.push(IpAddr::V6(aaaa.0)),
            _ => {}
        }
    }
    tracing::debug!(name, ?answer, "DNS");
    Ok(Some(answer))
}

fn resolver(nameserver: Option<SocketAddr>) -> Result<TokioResolver, Error> {
    let provider = TokioRuntimeProvider::default();
    let builder = match nameserver {
        Some(server) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = server.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = server.port();
            let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
                server.ip(),
                true,
                vec![udp, tcp],
            )]);
            let mut builder = Resolver::builder_with_config(config, provider);
            // An explicit server that does not answer should fail fast: ssh is waiting.
            builder.options_mut().timeout = Duration::from_secs(2);
            builder.options_mut().attempts = 1;
            builder
        }
        None => Resolver::builder(provider).map_err(|e| Error::Config(e.to_string()))?,
    };
    builder.build().map_err(|e| Error::Config(e.to_string()))
}
