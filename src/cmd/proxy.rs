//! `proxy HOST PORT`: the ProxyCommand. Find the instance (from the cache, or
//! the EC2 API), connect, learn the key the server presents — read as the key
//! exchange passes through, or with a probe before handing ssh the socket
//! (`--fdpass`) — verify it, record it in known_hosts, and only then let ssh
//! see it and carry the connection.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ssh_key::PublicKey;

use super::settings::{KnownHostsFile, Settings};
use crate::aws::ec2::Instance;
use crate::cli::{ProxyArgs, RelayArg};
use crate::net::kex;
use crate::net::pipe::{self, Relay};
use crate::store::cache::Cache;
use crate::store::known_hosts::{self, lookup_name};
use crate::trust::names::{PublicNames, names_for};
use crate::trust::policy::{self, Cold, Found, Remembered, Sources, Warm};
use crate::trust::publish;
use crate::trust::resolve::Target;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an unverified server may stay silent before its host key arrives.
const KEX_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A cached address that does not answer quickly is probably stale (the
/// instance stopped and got a new IP): look it up afresh rather than wait.
const WARM_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How we came to the address we connected to.
enum Plan {
    Warm(Box<Warm>),
    Cold(Box<Cold>),
}

/// A verified key and what to record for it.
struct Verified {
    instance_id: String,
    keys: Vec<PublicKey>,
    names: Vec<String>,
    /// The AWS-assigned public names among them (whose lines the tool may take over).
    public: PublicNames,
    source: String,
    /// Set when a source (not a memo) vouched and a team store is configured.
    publish: Option<Publish>,
}

struct Session<'a> {
    settings: &'a Settings,
    args: &'a ProxyArgs,
    destination: KnownHostsFile,
    sources: Sources,
    cache: Option<Cache>,
    lookup: String,
    target: Target,
}

pub fn run(settings: &Settings, args: &ProxyArgs) -> Result<()> {
    let ctx = Session {
        settings,
        args,
        destination: settings.known_hosts(&args.file)?,
        sources: settings.sources(&args.source).for_connection(),
        cache: settings.cache(&args.cache),
        lookup: lookup_name(&args.host, args.port),
        target: Target::classify(&args.host),
    };
    let path = &ctx.destination.path;
    let relay = relay(args.relay)?;
    let (live, plan) = connect_planned(&ctx, relay)?;
    let address = live.peer.ip().to_string();
    let mut publishing = None;
    if let Some(presented) = &live.presented {
        let verified = verify_presented(&ctx, plan, presented, &address)?;
        record(&ctx, path, &verified)?;
        publishing = verified.publish.map(|p| publish_in_background(&ctx, p));
    }
    let carried = live.release(relay);
    if let Some(publishing) = publishing {
        let _ = publishing.join();
    }
    carried
}

/// Publishes a verification to the team store while the connection is
/// carried, so that it costs the connection nothing.
fn publish_in_background(ctx: &Session<'_>, publish: Publish) -> std::thread::JoinHandle<()> {
    let (aws, store, quiet) = (
        ctx.settings.aws.clone(),
        ctx.sources.store.clone(),
        ctx.settings.quiet,
    );
    std::thread::spawn(move || {
        // ssh hangs up on its ProxyCommand when the session ends, however
        // short; the record is worth finishing (the SDK's timeouts bound
        // it). Once caught, SIGHUP stays caught for the process.
        let _ = crate::aws::block_on(async {
            let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            Ok(())
        });
        let (instance, found) = publish;
        publish::publish_verified(&aws, store.as_ref(), &instance, &found, quiet);
    })
}

/// `--relay`, else the fastest this system has.
fn relay(asked: Option<RelayArg>) -> Result<Relay> {
    Ok(match asked {
        None => Relay::best(),
        Some(RelayArg::Copy) => Relay::Copy,
        Some(RelayArg::Splice) if cfg!(target_os = "linux") => Relay::Splice,
        Some(RelayArg::Splice) => {
            return Err(crate::error::ConfigError::Flag {
                flag: "--relay splice",
                problem: "splice(2) exists only on Linux".into(),
                fix: "use --relay copy, or leave --relay out",
            }
            .into());
        }
    })
}

/// What to publish to the team store: the instance and what vouched for its keys.
type Publish = (Instance, Found);

/// A connection to the instance whose host key has been read but not yet
/// let through to ssh.
struct Live {
    socket: TcpStream,
    /// Where `socket` leads, kept from the connect: once both sides have
    /// closed (a half-close answered), the socket no longer knows its peer.
    peer: SocketAddr,
    /// The key the server presented; `None` when `--fdpass` needs no probe
    /// (the name was verified and recorded: ssh checks the socket itself).
    presented: Option<PublicKey>,
    /// The relay: the data path to the server and the held key reply.
    relay: Option<(std::thread::JoinHandle<io::Result<()>>, Vec<u8>)>,
}

impl Live {
    /// Reads the server's host key on `socket`: with `--fdpass` by a probe
    /// on a second connection (if `probe`), else from the key exchange as it
    /// passes between ssh and the server, holding the key reply back.
    fn open(
        (socket, peer): (TcpStream, SocketAddr),
        fdpass: bool,
        probe: bool,
        relay: Relay,
    ) -> Result<Live> {
        let (address, port) = (peer.ip().to_string(), peer.port());
        if fdpass {
            let presented = if probe {
                let (mut probe_socket, _) = connect(&address, port, CONNECT_TIMEOUT)?;
                // A tarpit that accepts and never answers must not hang ssh.
                probe_socket.set_read_timeout(Some(kex::PROBE_TIMEOUT))?;
                probe_socket.set_write_timeout(Some(kex::PROBE_TIMEOUT))?;
                Some(
                    kex::probe(&mut probe_socket, None)
                        .with_context(|| format!("probing {address}:{port}"))?,
                )
            } else {
                None
            };
            return Ok(Live {
                socket,
                peer,
                presented,
                relay: None,
            });
        }
        pipe::prepare(&socket)?;
        let upstream =
            pipe::spawn_upstream(&socket, relay).context("cannot start the data path")?;
        let stdout = io::stdout();
        let intercepted = kex::intercept_host_key(
            &mut pipe::TimedRead {
                fd: socket.as_fd(),
                idle: KEX_IDLE_TIMEOUT,
            },
            &mut pipe::FdIo(stdout.as_fd()),
        )
        .with_context(|| format!("{address}:{port}"))?;
        Ok(Live {
            socket,
            peer,
            presented: Some(intercepted.key),
            relay: Some((upstream, intercepted.held)),
        })
    }

    /// After verification: hand ssh the socket, or release the held reply
    /// and carry the connection.
    fn release(self, relay: Relay) -> Result<()> {
        let Some((upstream, held)) = self.relay else {
            return pipe::pass_socket(&self.socket)
                .context("cannot hand the socket to ssh (is ProxyUseFdpass yes set?)");
        };
        pipe::downstream(&self.socket, &held, relay)
            .context("connection to the instance failed")?;
        match upstream.join() {
            Ok(result) => result.context("connection to the instance failed"),
            Err(_) => bail!("the data path thread panicked"),
        }
    }
}

/// The instance and what the trusted sources say about its keys, from AWS.
fn cold_lookup(ctx: &Session<'_>, sources: &Sources) -> Result<Cold> {
    policy::cold_lookup(
        ctx.settings.lookup(sources),
        &ctx.target,
        ctx.settings.wait(ctx.args.wait),
        ctx.cache.as_ref(),
    )
}

/// Connects to the cached address when the name was verified recently;
/// else looks the instance up and connects as soon as its address is known,
/// reading the key exchange while the trusted sources are read.
fn connect_planned(ctx: &Session<'_>, relay: Relay) -> Result<(Live, Plan)> {
    let (port, fdpass) = (ctx.args.port, ctx.args.fdpass);
    if let Some(warm) = ctx
        .cache
        .as_ref()
        .and_then(|c| Warm::load(c, &ctx.lookup, ctx.settings.resolve.address, &ctx.sources))
    {
        match connect(&warm.name.address, port, WARM_CONNECT_TIMEOUT) {
            Ok(connected) => {
                tracing::debug!(instance = %warm.name.instance, "warm: using the cached address");
                let keys = warm.keys.public_keys().unwrap_or_default();
                let probe = !(fdpass && recorded(&ctx.destination.path, &warm.name.names, &keys)?);
                let live = Live::open(connected, fdpass, probe, relay)?;
                return Ok((live, Plan::Warm(Box::new(warm))));
            }
            Err(e) => tracing::debug!("cached address failed ({e:#}); looking up afresh"),
        }
    }
    let (cold, opening) = policy::connection_lookup(
        ctx.settings.lookup(&ctx.sources),
        &ctx.target,
        ctx.settings.wait(ctx.args.wait),
        ctx.cache.as_ref(),
        |instance| {
            let address = instance
                .address()
                .expect("resolve only returns instances with an address")
                .to_string();
            std::thread::spawn(move || {
                Live::open(
                    connect(&address, port, CONNECT_TIMEOUT)?,
                    fdpass,
                    true,
                    relay,
                )
            })
        },
    )?;
    let live = match opening.join() {
        Ok(live) => live?,
        Err(_) => bail!("the connecting thread panicked"),
    };
    Ok((live, Plan::Cold(Box::new(cold))))
}

fn verify_presented(
    ctx: &Session<'_>,
    plan: Plan,
    presented: &PublicKey,
    address: &str,
) -> Result<Verified> {
    let cold = match plan {
        Plan::Warm(warm) if warm.keys.vouches_for(presented) => {
            let public = match warm.name.side {
                Some(crate::aws::ec2::Side::Public) => {
                    PublicNames::from_addresses([&warm.name.address])
                }
                _ => PublicNames::default(),
            };
            return Ok(Verified {
                instance_id: warm.name.instance,
                keys: warm.keys.public_keys().unwrap_or_default(),
                names: warm.name.names,
                public,
                source: "the cache of earlier verifications".into(),
                publish: None,
            });
        }
        Plan::Warm(warm) => {
            // The cached instance's keys do not vouch for this server: the
            // address may have been recycled. Only a fresh lookup decides.
            tracing::debug!(
                "presented key not among {}'s cached keys; looking up afresh",
                warm.name.instance
            );
            if let Some(cache) = &ctx.cache {
                cache.forget_name(&ctx.lookup);
            }
            cold_lookup(ctx, &ctx.sources)?
        }
        Plan::Cold(cold) => *cold,
    };
    let cold = if cold.needs_sources(presented) {
        // Not one of the keys known for this instance, or listed by the
        // team store's record (a re-key?): the sources decide.
        tracing::debug!(
            "presented key not among {}'s {}; asking the sources",
            cold.instance.id,
            cold.source.label()
        );
        policy::confirm_with_sources(cold, presented, address, &ctx.sources, &|sources| {
            cold_lookup(ctx, sources)
        })?
    } else {
        cold
    };
    if cold.instance.address() != Some(address) {
        bail!(
            "{} now leads to {} at {}, not {address}; the cache was refreshed, run ssh again",
            ctx.args.host,
            cold.instance.id,
            cold.instance.address().unwrap_or("no address")
        );
    }
    let keys = cold.check(address, presented)?;
    cold.after_verified_connection(&ctx.settings.aws, ctx.settings.quiet);
    let names = names_for(&[&ctx.args.host], ctx.args.port, &cold.instance);
    cold.remember(
        ctx.cache.as_ref(),
        &keys,
        Remembered {
            lookup_name: &ctx.lookup,
            address,
            names: &names,
        },
    );
    let label = cold.source.label();
    let publish = (ctx.sources.store.is_some() && publish::from_a_source(label))
        .then(|| (cold.instance.clone(), cold.found(keys.clone(), label)));
    Ok(Verified {
        public: PublicNames::of([&cold.instance]),
        instance_id: cold.instance.id,
        keys,
        names,
        source: cold.source.describe(),
        publish,
    })
}

/// Whether known_hosts already holds exactly these keys for every name.
fn recorded(path: &Path, names: &[String], keys: &[PublicKey]) -> Result<bool> {
    let file = known_hosts::read(path)?;
    Ok(!keys.is_empty() && names.iter().all(|n| file.has_exactly(n, keys)))
}

fn record(ctx: &Session<'_>, path: &Path, verified: &Verified) -> Result<()> {
    let recorded = known_hosts::update(path, |file| {
        for (line, reason) in file.invalid_lines() {
            tracing::debug!(
                "{}:{line}: kept as is, not a valid entry: {reason}",
                path.display()
            );
        }
        let recorded = file.record(
            &verified.names,
            &verified.keys,
            || ctx.destination.hash_for(&ctx.args.host),
            &known_hosts::mark(&verified.instance_id),
            |name| verified.public.owns(name),
        );
        (recorded.changed, recorded)
    })?;
    let changed = recorded.changed;
    for note in recorded.notes(&verified.instance_id, path, &verified.names) {
        crate::text::note(ctx.settings.quiet, &note);
    }
    if changed {
        let names: Vec<&str> = verified
            .names
            .iter()
            .filter(|n| !recorded.foreign.contains(n))
            .map(String::as_str)
            .collect();
        crate::text::note(
            ctx.settings.quiet,
            &format!(
                "verified {}'s host keys (source: {}); recorded {} in {}",
                verified.instance_id,
                verified.source,
                names.join(", "),
                path.display()
            ),
        );
    }
    tracing::debug!(instance = %verified.instance_id, names = ?verified.names, changed, "host key verified");
    Ok(())
}

fn connect(address: &str, port: u16, timeout: Duration) -> Result<(TcpStream, SocketAddr)> {
    let ip: IpAddr = address
        .parse()
        .with_context(|| format!("EC2 returned an address that is not an IP: {address}"))?;
    let peer = SocketAddr::new(ip, port);
    let socket = TcpStream::connect_timeout(&peer, timeout).with_context(|| {
        format!("cannot connect to {address} port {port}; is the instance's sshd up and its security group open to you?")
    })?;
    socket.set_nodelay(true).ok();
    Ok((socket, peer))
}
