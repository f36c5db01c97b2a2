//! The verified connection, in one place below the commands (`proxy` now,
//! `serve` next): locate the instance (from the cache, or the EC2 API),
//! connect — directly, or through the EC2 Instance Connect Endpoint of its
//! VPC — learn the key the server presents (read as the key exchange passes
//! through, or with a probe before handing ssh the socket with `--fdpass`),
//! refuse what the user's own file revokes, verify it against the sources,
//! say (or refuse) a name that moved, record it in known_hosts, and only
//! then release the held reply and carry the connection. Each trust rule a
//! connection meets is enforced here, once.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ssh_key::PublicKey;

use crate::aws::ec2::{Ec2, Instance};
use crate::aws::eice::{self, TunnelTo};
use crate::error::TunnelError;
use crate::net::kex;
use crate::net::pipe::{self, Client, Relay, Socket};
use crate::net::tunnel::{self, Tunnel};
use crate::store::cache::{Cache, TunnelRecord};
use crate::store::known_hosts::{self, KnownHosts, KnownHostsFile, lookup_name};
use crate::trust::names::{OnNameMove, PublicNames, check_moved, names_for};
use crate::trust::policy::{self, Cold, Found, Remembered, Sources, Warm};
use crate::trust::publish;
use crate::trust::resolve::{self, Target};

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
    /// The account that owns it, as EC2 said (remembered on the warm path).
    account: Option<String>,
    keys: Vec<PublicKey>,
    names: Vec<String>,
    /// The AWS-assigned public names among them (whose lines the tool may take over).
    public: PublicNames,
    source: String,
    /// Set when a source (not a memo) vouched and a team store is configured.
    publish: Option<Publish>,
}

/// One connection to verify and carry, as the command's settings made it.
pub struct Connection<'a> {
    pub aws: &'a crate::aws::Config,
    /// The accounts the instance is looked up in.
    pub accounts: &'a [crate::aws::Config],
    pub resolve: resolve::Options,
    /// `--quiet`.
    pub quiet: bool,
    pub on_name_move: OnNameMove,
    /// The known_hosts file written, and whether new entries are hashed.
    pub destination: KnownHostsFile,
    pub sources: Sources,
    pub cache: Option<Cache>,
    /// The name records are kept under (a tunnel's apart from direct ones).
    pub lookup: String,
    pub target: Target,
    /// What the user typed, and the port.
    pub host: String,
    pub port: u16,
    /// `--fdpass`: hand the socket over rather than carry the connection.
    pub fdpass: bool,
    /// How long to wait for a booting instance and its console.
    pub wait: Duration,
    /// `--via eice`: how to open the endpoint's tunnel.
    pub eice: Option<EiceTunnel>,
    /// Who the connection is carried for: ssh on our stdio, or a socket.
    pub client: std::sync::Arc<Client>,
    /// Whether verified keys go to known_hosts (`serve --no-record`: not).
    pub record: bool,
    /// In a process that serves many connections: one lookup at a time per name.
    pub flights: Option<std::sync::Arc<Flights>>,
    /// Whether the name typed is recorded in known_hosts when it is not
    /// one of EC2's names of the instance (an alias, a Name tag): yes for
    /// the user's own ssh; not for `serve`, whose clients may be others.
    pub record_alias: bool,
}

/// One cold lookup at a time per name in a process that carries many
/// connections (`serve`): when many clients reach an instance at once, the
/// first looks it up and verifies, the others wait for it and then find the
/// name in the cache (one DescribeInstances, not one per client). A warm
/// name takes no turn. A turn waits at most [`FLIGHT_WAIT`]: a client that
/// stalls its key exchange holds up the others for that long, no longer.
#[derive(Default)]
pub struct Flights(Mutex<HashMap<String, Arc<Lane>>>);

/// How long a client waits for another's verification of the same name
/// before it goes ahead on its own.
const FLIGHT_WAIT: Duration = Duration::from_secs(15);

#[derive(Default)]
struct Lane {
    busy: Mutex<bool>,
    free: Condvar,
}

/// A turn at a name, given back (and the name forgotten once nobody waits
/// for it) when dropped.
struct Turn<'a> {
    flights: &'a Flights,
    name: String,
    lane: Arc<Lane>,
    held: bool,
}

impl Flights {
    fn turn(&self, name: &str) -> Turn<'_> {
        let lane = {
            let mut lanes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            lanes.entry(name.to_string()).or_default().clone()
        };
        let busy = lane.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut busy, waited) = lane
            .free
            .wait_timeout_while(busy, FLIGHT_WAIT, |busy| *busy)
            .unwrap_or_else(PoisonError::into_inner);
        let held = !waited.timed_out();
        if held {
            *busy = true;
        }
        drop(busy);
        Turn {
            flights: self,
            name: name.to_string(),
            lane,
            held,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.held {
            *self
                .lane
                .busy
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = false;
            self.lane.free.notify_all();
        }
        // Lanes are cloned only under this lock: the map's and ours are the
        // last two references when nobody else holds or waits for the name.
        let mut lanes = self
            .flights
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if Arc::strong_count(&self.lane) == 2 {
            lanes.remove(&self.name);
        }
    }
}

/// A connection verified and carried: what the log says of it.
pub struct Carried {
    pub instance: String,
    /// The account that owns it, as EC2 said, when known.
    pub account: Option<String>,
    /// What vouched for the key (a source, or the cache of earlier verifications).
    pub source: String,
    /// How the relay ended: cleanly, or why not (a reset, an idle timeout).
    pub ended: Result<()>,
}

impl Connection<'_> {
    fn lookup_with<'a>(&'a self, sources: &'a Sources) -> policy::Lookup<'a> {
        policy::Lookup {
            accounts: self.accounts,
            resolve: self.resolve,
            sources,
            quiet: self.quiet,
        }
    }
}

/// What opening a tunnel through an EIC Endpoint needs, besides the instance.
#[derive(Clone)]
pub struct EiceTunnel {
    /// The accounts searched: the endpoint is in the instance's.
    pub accounts: Vec<crate::aws::Config>,
    pub endpoint_id: Option<String>,
    pub max_duration: u32,
    pub nameserver: Option<SocketAddr>,
}

impl EiceTunnel {
    /// The settings of the instance's account: the endpoint is in its VPC.
    fn aws(&self, account: Option<&str>) -> &crate::aws::Config {
        crate::aws::of_account(&self.accounts, account)
    }
}

/// Verifies and carries one connection: everything `ProxyCommand
/// ec2-hostkey proxy %h %p` does once its flags are read.
///
/// # Errors
/// Any refusal (exit 5 for a key no source vouches for), lookup or network
/// failure; nothing is written and nothing reaches ssh unverified. Once
/// verified, how the relay ended is in [`Carried::ended`].
pub fn run(ctx: &Connection<'_>, relay: Relay) -> Result<Carried> {
    if ctx.eice.is_some() {
        tunnel::prepare(ctx.aws.ca_bundle.as_ref().map(|b| b.pem.clone()));
    }
    let turn = ctx
        .flights
        .as_ref()
        .filter(|_| !is_warm(ctx))
        .map(|flights| flights.turn(&ctx.lookup));
    let path = &ctx.destination.path;
    let (live, plan) = connect_planned(ctx, relay)?;
    let address = live.peer.ip().to_string();
    let mut publishing = None;
    let mut carried = Carried {
        instance: String::new(),
        account: None,
        source: "ssh, which checks the socket it was handed".into(),
        ended: Ok(()),
    };
    if let Some(presented) = &live.presented {
        tracing::debug!("the server presented a {}", presented.describe());
        // Read once for the user's @revoked lines and the tool's marks
        // (a moved name); the write below reads it again under the lock.
        let file = known_hosts::read(path)?;
        policy::refuse_revoked(&file, path, presented, &address)?;
        let through = live.tunnel.as_ref().map(|(_, endpoint)| endpoint.clone());
        let verified = verify_presented(ctx, &file, plan, &presented.key, &address, through)?;
        if ctx.record {
            record(ctx, path, &verified)?;
        }
        carried.instance.clone_from(&verified.instance_id);
        carried.account.clone_from(&verified.account);
        carried.source.clone_from(&verified.source);
        publishing = verified.publish.map(|p| publish_in_background(ctx, p));
    }
    // Verified and remembered: the next client for this name finds it warm.
    drop(turn);
    if ctx.eice.is_some() {
        // So that the reason a tunnel ends still reaches the user after
        // ssh hangs up (the tunnel's own timeouts bound the wait).
        outlive_hangup();
    }
    carried.ended = live.release(&ctx.client, relay);
    if let Some(publishing) = publishing {
        let _ = publishing.join();
    }
    Ok(carried)
}

/// Whether the cache holds a recent verification of the name.
fn is_warm(ctx: &Connection<'_>) -> bool {
    ctx.cache
        .as_ref()
        .and_then(|c| Warm::load(c, &ctx.lookup, ctx.resolve.address, &ctx.sources))
        .is_some()
}

/// Opens a tunnel to `instance`'s private address through the EIC Endpoint
/// of its VPC, chosen as the AWS CLI does (`--eice-id`, else the one in its
/// subnet, else the first ready in its VPC).
fn open_tunnel(eice: &EiceTunnel, instance: &Instance, port: u16) -> Result<Opened> {
    let private_ip = instance
        .private_ip
        .clone()
        .context("EC2 reported no private address for the instance")?;
    let through = crate::aws::block_on(async {
        let aws = eice.aws(instance.account_name.as_deref());
        let ec2 = Ec2::new(aws).await?.in_region(&instance.region);
        let endpoint = endpoint_for(&ec2, eice.endpoint_id.as_deref(), instance).await?;
        Ok(TunnelRecord {
            host: endpoint.host(ec2.use_fips())?.to_string(),
            endpoint: endpoint.id,
            region: instance.region.clone(),
            account: instance.account_name.clone(),
        })
    })?;
    open_through(eice, through, &private_ip, port)
}

/// The endpoint to tunnel to `instance` through.
async fn endpoint_for(
    ec2: &Ec2,
    asked: Option<&str>,
    instance: &Instance,
) -> Result<eice::Endpoint> {
    let Some(id) = asked else {
        let vpc = instance.vpc.as_deref().ok_or_else(|| TunnelError::NoVpc {
            instance: instance.id.clone(),
        })?;
        let found = ec2.instance_connect_endpoints(Some(vpc), None).await?;
        return Ok(
            eice::choose(found, vpc, instance.subnet.as_deref()).ok_or_else(|| {
                TunnelError::NoEndpoint {
                    instance: instance.id.clone(),
                    vpc: vpc.to_string(),
                    subnet: instance.subnet.clone().unwrap_or_else(|| "SUBNET".into()),
                }
            })?,
        );
    };
    let endpoint = ec2
        .instance_connect_endpoints(None, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| TunnelError::NoSuchEndpoint {
            id: id.to_string(),
            region: instance.region.clone(),
        })?;
    // Another VPC may well use the same private addresses: the tunnel would
    // reach some other host at this one's address.
    if instance.vpc.as_deref() != Some(endpoint.vpc.as_str()) {
        return Err(TunnelError::OtherVpc {
            id: endpoint.id,
            vpc: endpoint.vpc,
            instance: instance.id.clone(),
            instance_vpc: instance.vpc.clone().unwrap_or_else(|| "no VPC".into()),
        }
        .into());
    }
    Ok(endpoint)
}

/// A tunnel opened, and the endpoint it goes through (remembered with the name).
type Opened = (Socket, SocketAddr, Tunnel, TunnelRecord);

/// Presigns and opens a tunnel through `through` to `private_ip:port`.
fn open_through(
    eice: &EiceTunnel,
    through: TunnelRecord,
    private_ip: &str,
    port: u16,
) -> Result<Opened> {
    let ip: IpAddr = private_ip
        .parse()
        .with_context(|| format!("EC2 returned an address that is not an IP: {private_ip}"))?;
    let presign = {
        let (aws, through, private_ip) = (
            eice.aws(through.account.as_deref()).clone(),
            through.clone(),
            private_ip.to_string(),
        );
        let max_duration = eice.max_duration;
        move || {
            crate::aws::block_on(async {
                let ec2 = Ec2::new(&aws).await?.in_region(&through.region);
                Ok(ec2
                    .presign_tunnel(&TunnelTo {
                        endpoint: &through.endpoint,
                        host: &through.host,
                        private_ip: &private_ip,
                        port,
                        max_duration,
                    })
                    .await?)
            })
        }
    };
    tracing::debug!(endpoint = %through.host, "opening the EIC Endpoint tunnel");
    let (socket, tunnel) = tunnel::open(
        tunnel::Opening {
            host: through.host.clone(),
            nameserver: eice.nameserver,
            ca_bundle: eice.accounts[0].ca_bundle.as_ref().map(|b| b.pem.clone()),
            max_duration: eice.max_duration,
        },
        presign,
    )?;
    Ok((
        Socket::Tunnel(socket),
        SocketAddr::new(ip, port),
        tunnel,
        through,
    ))
}

/// Publishes a verification to the team store while the connection is
/// carried, so that it costs the connection nothing.
fn publish_in_background(ctx: &Connection<'_>, publish: Publish) -> std::thread::JoinHandle<()> {
    let (aws, store, quiet) = (ctx.aws.clone(), ctx.sources.store.clone(), ctx.quiet);
    std::thread::spawn(move || {
        // The record is worth finishing (the SDK's timeouts bound it).
        outlive_hangup();
        let (instance, found) = publish;
        publish::publish_verified(&aws, store.as_ref(), &instance, &found, quiet);
    })
}

/// ssh hangs up on its ProxyCommand as soon as the session ends, however it
/// ends; what is left to do (a publish, saying why a tunnel closed) is
/// bounded and worth finishing. Once caught, SIGHUP stays caught.
fn outlive_hangup() {
    let _ = crate::aws::block_on(async {
        let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        Ok(())
    });
}

/// What to publish to the team store: the instance and what vouched for its keys.
type Publish = (Instance, Found);

/// A connection to the instance whose host key has been read but not yet
/// let through to ssh.
struct Live {
    socket: Socket,
    /// Where `socket` leads, kept from the connect: once both sides have
    /// closed (a half-close answered), the socket no longer knows its peer.
    peer: SocketAddr,
    /// What the server presented; `None` when `--fdpass` needs no probe
    /// (the name was verified and recorded: ssh checks the socket itself).
    presented: Option<kex::Presented>,
    /// The relay: the data path to the server and the held key reply.
    relay: Option<(std::thread::JoinHandle<io::Result<()>>, Vec<u8>)>,
    /// With `--via eice`: the tunnel `socket` leads into, and its endpoint.
    tunnel: Option<(Tunnel, TunnelRecord)>,
}

impl Live {
    /// Reads the server's host key on `socket`: with `--fdpass` by a probe
    /// on a second connection (if `probe`), else from the key exchange as it
    /// passes between ssh and the server, holding the key reply back.
    fn open(
        (socket, peer): (Socket, SocketAddr),
        client: &Client,
        fdpass: bool,
        probe: bool,
        relay: Relay,
    ) -> Result<Live> {
        let (address, port) = (peer.ip().to_string(), peer.port());
        if fdpass {
            let presented = if probe {
                let (mut probe_socket, _) = connect_tcp(&address, port, CONNECT_TIMEOUT)?;
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
                tunnel: None,
            });
        }
        pipe::prepare(&socket)?;
        client.greet().context("the client hung up")?;
        let (upstream, offered) =
            pipe::spawn_upstream(client, &socket, relay).context("cannot start the data path")?;
        // The client's KEXINIT has passed by the time the server answers
        // it; the wait covers the upstream thread's last step.
        let mut client_offer = || match offered.recv_timeout(KEX_IDLE_TIMEOUT) {
            Ok(offer) => offer,
            Err(_) => Err(kex::Error::ClientOffer(
                "the client sent no KEXINIT in time".into(),
            )),
        };
        let intercepted = kex::intercept_host_key(
            &mut pipe::TimedRead {
                fd: socket.as_fd(),
                idle: KEX_IDLE_TIMEOUT,
            },
            &mut pipe::FdIo(client.writer()),
            &mut client_offer,
        )
        .with_context(|| format!("{address}:{port}"))?;
        Ok(Live {
            socket,
            peer,
            presented: Some(intercepted.presented),
            relay: Some((upstream, intercepted.held)),
            tunnel: None,
        })
    }

    /// The connection through an EIC Endpoint tunnel: read as a direct one.
    fn through(opened: Opened, client: &Client, relay: Relay) -> Result<Live> {
        let (socket, peer, tunnel, endpoint) = opened;
        let mut live = Live::open((socket, peer), client, false, true, relay)?;
        live.tunnel = Some((tunnel, endpoint));
        Ok(live)
    }

    /// After verification: hand ssh the socket, or release the held reply
    /// and carry the connection.
    fn release(self, client: &Client, relay: Relay) -> Result<()> {
        let Some((upstream, held)) = self.relay else {
            return pipe::pass_socket(&self.socket)
                .context("cannot hand the socket to ssh (is ProxyUseFdpass yes set?)");
        };
        let carried = pipe::downstream(&self.socket, &held, client, relay)
            .context("connection to the instance failed");
        let carried = carried.and_then(|()| match upstream.join() {
            Ok(result) => result.context("connection to the instance failed"),
            Err(_) => bail!("the data path thread panicked"),
        });
        // Why a tunnel ended says more than the broken pipe it leaves.
        if let Some((tunnel, _)) = self.tunnel {
            drop(self.socket);
            tunnel.end()?;
        }
        carried
    }
}

/// The instance and what the trusted sources say about its keys, from AWS.
fn cold_lookup(ctx: &Connection<'_>, sources: &Sources) -> Result<Cold> {
    policy::cold_lookup(
        lookup(ctx, sources),
        &ctx.target,
        ctx.wait,
        ctx.cache.as_ref(),
    )
}

/// The lookup settings; a tunnel reaches the instance's private side.
fn lookup<'a>(ctx: &'a Connection<'_>, sources: &'a Sources) -> policy::Lookup<'a> {
    let mut lookup = ctx.lookup_with(sources);
    if ctx.eice.is_some() {
        lookup.resolve.address = crate::trust::resolve::AddressMode::Private;
    }
    lookup
}

/// Connects to the cached address when the name was verified recently;
/// else looks the instance up and connects as soon as its address is known,
/// reading the key exchange while the trusted sources are read.
fn connect_planned(ctx: &Connection<'_>, relay: Relay) -> Result<(Live, Plan)> {
    let (port, fdpass) = (ctx.port, ctx.fdpass);
    if let Some(warm) = ctx
        .cache
        .as_ref()
        .and_then(|c| Warm::load(c, &ctx.lookup, ctx.resolve.address, &ctx.sources))
    {
        // Only reaching the address may fail over to a fresh lookup: once
        // the key exchange has started, ssh's bytes are spoken for.
        let live = match &ctx.eice {
            // Through the endpoint the name was reached through last time: no API call.
            Some(eice) => match warm
                .name
                .tunnel
                .clone()
                .context("the record names no endpoint")
                .and_then(|through| open_through(eice, through, &warm.name.address, port))
            {
                Ok(opened) => Some(Live::through(opened, &ctx.client, relay)?),
                Err(e) => {
                    tracing::debug!("cached endpoint failed ({e:#}); looking up afresh");
                    None
                }
            },
            None => match connect(&warm.name.address, port, WARM_CONNECT_TIMEOUT) {
                Ok(connected) => {
                    let keys = warm.keys.public_keys().unwrap_or_default();
                    let probe =
                        !(fdpass && recorded(&ctx.destination.path, &warm.name.names, &keys)?);
                    Some(Live::open(connected, &ctx.client, fdpass, probe, relay)?)
                }
                Err(e) => {
                    tracing::debug!("cached address failed ({e:#}); looking up afresh");
                    None
                }
            },
        };
        if let Some(live) = live {
            tracing::debug!(instance = %warm.name.instance, "warm: using the cached address");
            return Ok((live, Plan::Warm(Box::new(warm))));
        }
    }
    let (cold, opening) = policy::connection_lookup(
        lookup(ctx, &ctx.sources),
        &ctx.target,
        ctx.wait,
        ctx.cache.as_ref(),
        |instance| {
            let address = instance
                .address()
                .expect("resolve only returns instances with an address")
                .to_string();
            let tunnel = ctx.eice.clone().map(|eice| (eice, instance.clone()));
            let client = ctx.client.clone();
            std::thread::spawn(move || match tunnel {
                Some((eice, instance)) => {
                    Live::through(open_tunnel(&eice, &instance, port)?, &client, relay)
                }
                None => Live::open(
                    connect(&address, port, CONNECT_TIMEOUT)?,
                    &client,
                    fdpass,
                    true,
                    relay,
                ),
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
    ctx: &Connection<'_>,
    file: &KnownHosts,
    plan: Plan,
    presented: &PublicKey,
    address: &str,
    through: Option<TunnelRecord>,
) -> Result<Verified> {
    let cold = match plan {
        Plan::Warm(warm) if warm.keys.vouches_for(presented) => {
            // The instance's id is EC2's name for it on either side.
            let mut owned = vec![&warm.name.instance];
            if warm.name.side == Some(crate::aws::ec2::Side::Public) {
                owned.push(&warm.name.address);
            }
            let public = PublicNames::from_addresses(owned);
            announce_move(ctx, file, &warm.name.instance, &public)?;
            return Ok(Verified {
                account: warm.name.account.clone(),
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
            ctx.host,
            cold.instance.id,
            cold.instance.address().unwrap_or("no address")
        );
    }
    let keys = cold.check(address, presented)?;
    // Before anything is remembered, published or deleted: a refused move
    // leaves no trace that could vouch later.
    announce_move(
        ctx,
        file,
        &cold.instance.id,
        &PublicNames::of([&cold.instance]),
    )?;
    cold.after_verified_connection(ctx.aws, ctx.quiet);
    let names = names_for(&[&ctx.host], ctx.port, &cold.instance);
    cold.remember(
        ctx.cache.as_ref(),
        &keys,
        Remembered {
            lookup_name: &ctx.lookup,
            address,
            names: &names,
            tunnel: through,
        },
    );
    let label = cold.source.label();
    let publish = (ctx.sources.store.is_some() && publish::from_a_source(label))
        .then(|| (cold.instance.clone(), cold.found(keys.clone(), label)));
    Ok(Verified {
        public: PublicNames::of([&cold.instance]),
        account: cold.instance.account.clone(),
        instance_id: cold.instance.id,
        keys,
        names,
        source: cold.source.describe(),
        publish,
    })
}

/// Says (or refuses, with `--on-name-move refuse`) that what the user typed
/// now leads to another instance than its lines were recorded for. Every
/// name can move but an instance id and EC2's own public names of the
/// instance (a recycled address is what the tool cleans up).
fn announce_move(
    ctx: &Connection<'_>,
    file: &KnownHosts,
    instance_id: &str,
    public: &PublicNames,
) -> Result<()> {
    if matches!(ctx.target, Target::InstanceId(_)) {
        return Ok(());
    }
    let typed = lookup_name(&ctx.host, ctx.port);
    if public.owns(&typed) {
        return Ok(());
    }
    let on_move = ctx.on_name_move;
    let path = &ctx.destination.path;
    if let Some(warning) = check_moved(file, path, &typed, instance_id, on_move)? {
        crate::text::warn(ctx.quiet, &warning);
    }
    Ok(())
}

/// Whether known_hosts already holds exactly these keys for every name.
fn recorded(path: &Path, names: &[String], keys: &[PublicKey]) -> Result<bool> {
    let file = known_hosts::read(path)?;
    Ok(!keys.is_empty() && names.iter().all(|n| file.has_exactly(n, keys)))
}

fn record(ctx: &Connection<'_>, path: &Path, verified: &Verified) -> Result<()> {
    let typed = lookup_name(&ctx.host, ctx.port);
    let names: Vec<String> = verified
        .names
        .iter()
        .filter(|n| ctx.record_alias || **n != typed || verified.public.owns(n))
        .cloned()
        .collect();
    let recorded = known_hosts::update(path, |file| {
        for (line, reason) in file.invalid_lines() {
            tracing::debug!(
                "{}:{line}: kept as is, not a valid entry: {reason}",
                path.display()
            );
        }
        let recorded = file.record(
            &names,
            &verified.keys,
            || ctx.destination.hash_for(&ctx.host),
            &known_hosts::mark(&verified.instance_id),
            |name| verified.public.owns(name),
        );
        (recorded.changed, recorded)
    })?;
    let changed = recorded.changed;
    for note in recorded.notes(&verified.instance_id, path, &names) {
        crate::text::note(ctx.quiet, &note);
    }
    if changed {
        let names: Vec<&str> = names
            .iter()
            .filter(|n| !recorded.foreign.contains(n))
            .map(String::as_str)
            .collect();
        crate::text::note(
            ctx.quiet,
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

fn connect(address: &str, port: u16, timeout: Duration) -> Result<(Socket, SocketAddr)> {
    let (socket, peer) = connect_tcp(address, port, timeout)?;
    Ok((Socket::Tcp(socket), peer))
}

fn connect_tcp(address: &str, port: u16, timeout: Duration) -> Result<(TcpStream, SocketAddr)> {
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
