//! `serve`: a local SOCKS5 / HTTP CONNECT proxy for clients that cannot run
//! a ProxyCommand (paramiko, Terraform, Packer, editors). Each connection
//! goes through the same verified-connection pipeline as `proxy`
//! (`trust::connection`): the destination must be an instance (anything
//! else is refused), the port one of `--port`, and nothing of the server's
//! key-exchange reply reaches the client before its key is verified. One
//! line per connection on stderr.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::settings::Settings;
use crate::cli::ServeArgs;
use crate::error::ConfigError;
use crate::net::pipe::{Client, Relay, Socket};
use crate::net::socks::{self, Refusal, Request};
use crate::trust::connection;
use crate::trust::resolve;

/// A listening socket: TCP on loopback, or a Unix socket.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// An accepted client, before it has said where it goes.
enum Accepted {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Accepted {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Accepted::Tcp(s) => s.set_read_timeout(timeout),
            Accepted::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    fn into_socket(self) -> Socket {
        match self {
            Accepted::Tcp(s) => Socket::Tcp(s),
            Accepted::Unix(s) => Socket::Tunnel(s),
        }
    }
}

impl io::Read for Accepted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Accepted::Tcp(s) => s.read(buf),
            Accepted::Unix(s) => s.read(buf),
        }
    }
}

impl io::Write for Accepted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Accepted::Tcp(s) => s.write(buf),
            Accepted::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn run(settings: &Settings, args: &ServeArgs) -> Result<()> {
    let listeners = args
        .listen
        .iter()
        .map(|at| bind(at))
        .collect::<Result<Vec<_>>>()?;
    crate::text::note(
        settings.quiet,
        &format!(
            "serving SOCKS5 and HTTP CONNECT on {}, to instances' port(s) {}",
            args.listen.join(", "),
            args.ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    std::thread::scope(|scope| {
        for listener in &listeners {
            scope.spawn(move || accept_loop(scope, settings, args, listener));
        }
    });
    Ok(())
}

/// Binds `at`: a path is a Unix socket; anything else an address, which must
/// be on loopback (no authentication is offered, so any other listener would
/// carry anyone's SSH).
fn bind(at: &str) -> Result<Listener> {
    if at.contains('/') {
        let _ = std::fs::remove_file(at);
        let listener = UnixListener::bind(at).with_context(|| format!("cannot listen on {at}"))?;
        return Ok(Listener::Unix(listener));
    }
    let address: SocketAddr = at.parse().map_err(|_| ConfigError::Flag {
        flag: "--listen",
        problem: format!("{at:?} is neither IP:PORT nor a socket path"),
        fix: "give 127.0.0.1:1080, [::1]:1080 or /run/user/UID/ec2-hostkey.sock",
    })?;
    if !address.ip().is_loopback() {
        return Err(ConfigError::Flag {
            flag: "--listen",
            problem: format!("{address} is not on loopback, and serve offers no authentication yet: anyone who reaches it could use it"),
            fix: "listen on 127.0.0.1 or a Unix socket, and forward that if you must",
        }
        .into());
    }
    let listener =
        TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    Ok(Listener::Tcp(listener))
}

fn accept_loop<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    settings: &'scope Settings,
    args: &'scope ServeArgs,
    listener: &'scope Listener,
) {
    loop {
        let accepted = match listener {
            Listener::Tcp(l) => l
                .accept()
                .map(|(s, peer)| (Accepted::Tcp(s), peer.to_string())),
            Listener::Unix(l) => l
                .accept()
                .map(|(s, _)| (Accepted::Unix(s), "unix".to_string())),
        };
        match accepted {
            Ok((client, peer)) => {
                scope.spawn(move || serve_one(settings, args, client, &peer));
            }
            Err(e) => tracing::debug!("accept failed: {e}"),
        }
    }
}

/// One client: its request, the checks, the pipeline, one log line.
fn serve_one(settings: &Settings, args: &ServeArgs, mut client: Accepted, peer: &str) {
    let started = Instant::now();
    let _ = client.set_read_timeout(Some(args.handshake_timeout));
    let request = match socks::read_request(&mut client) {
        Ok(request) => request,
        Err(e) => {
            log(
                peer,
                "?",
                "refused",
                &format!("a request neither SOCKS5 nor HTTP CONNECT ({e})"),
                started,
            );
            return;
        }
    };
    let target = format!("{}:{}", request.host, request.port);
    if !args.ports.contains(&request.port) {
        let _ = io::Write::write_all(&mut client, &request.protocol.refusal(Refusal::NotAllowed));
        let why = format!("port {} is not carried (--port)", request.port);
        log(peer, &target, "refused", &why, started);
        return;
    }
    let _ = client.set_read_timeout(None);
    let protocol = request.protocol;
    let shared = Arc::new(Client::stream(client.into_socket(), protocol.success()));
    match carry(settings, args, &request, shared.clone()) {
        Ok(()) => log(peer, &target, "verified", "carried", started),
        Err(err) => {
            if !shared.greeted() {
                let refusal = if not_an_instance(&err) {
                    Refusal::NotAllowed
                } else {
                    Refusal::Failed
                };
                if let Client::Stream { socket, .. } = &*shared {
                    let _ = crate::net::pipe::write_all(
                        std::os::fd::AsFd::as_fd(socket),
                        &protocol.refusal(refusal),
                    );
                }
            }
            shared.hang_up();
            let why = crate::text::sanitize(&format!("{err:#}"));
            log(peer, &target, "refused", &why, started);
        }
    }
}

/// The pipeline `proxy` runs, for this client.
fn carry(
    settings: &Settings,
    args: &ServeArgs,
    request: &Request,
    client: Arc<Client>,
) -> Result<()> {
    let target = (request.host.as_str(), request.port);
    let mut ctx = settings.connection(&args.file, &args.cache, &args.source, target, args.wait)?;
    ctx.client = client;
    ctx.record = !args.no_record;
    connection::run(&ctx, Relay::best())
}

/// Whether the destination is no instance of the account (an address on
/// this machine, a public host, a name that leads outside EC2).
fn not_an_instance(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        matches!(
            c.downcast_ref::<resolve::Error>(),
            Some(resolve::Error::NotFound { .. } | resolve::Error::DnsNotAnInstance { .. })
        )
    })
}

/// One line per connection: client, target, verdict, why, duration.
fn log(peer: &str, target: &str, verdict: &str, why: &str, started: Instant) {
    eprintln!(
        "ec2-hostkey: serve: {peer} -> {target}: {verdict} ({why}) in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
