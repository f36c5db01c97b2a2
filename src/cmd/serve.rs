//! `serve`: a local SOCKS5 / HTTP CONNECT proxy for clients that cannot run
//! a ProxyCommand (paramiko, Terraform, Packer, editors). Each connection
//! goes through the same verified-connection pipeline as `proxy`
//! (`trust::connection`): the destination must be an instance (anything
//! else is refused), the port one of `--port`, and nothing of the server's
//! key-exchange reply reaches the client before its key is verified. This
//! module owns the listeners (bound, or passed by systemd), who may use them
//! (`--users`), the accept loop, the drain on SIGTERM and the log line.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustix::event::{PollFd, PollFlags};

use super::settings::Settings;
use crate::cli::{LogFormat, ServeArgs};
use crate::error::ConfigError;
use crate::net::pipe::{Client, Relay, Socket};
use crate::net::socks::{self, Refusal, Request, Users};
use crate::trust::connection::{self, Carried, Flights};
use crate::trust::resolve;

/// Connections served at once unless told: each is a thread and two
/// sockets, so this keeps far below the usual 1024 open files.
const DEFAULT_MAX_CONNECTIONS: usize = 400;

/// `serve`'s flags over the config file's `[serve]` over the defaults.
struct Options {
    /// Empty: the sockets systemd passed, else 127.0.0.1:1080.
    listen: Vec<String>,
    ports: Vec<u16>,
    users: Option<Users>,
    record: bool,
    record_aliases: bool,
    handshake_timeout: Duration,
    idle_timeout: Option<Duration>,
    drain: Duration,
    log_format: LogFormat,
    max_connections: usize,
}

impl Options {
    fn new(settings: &Settings, args: &ServeArgs) -> Result<Options> {
        let file = &settings.file.serve;
        let or = |flag: &Vec<String>, file: &Option<Vec<String>>| {
            if flag.is_empty() {
                file.clone().unwrap_or_default()
            } else {
                flag.clone()
            }
        };
        let ports = if args.ports.is_empty() {
            file.ports.clone().unwrap_or_else(|| vec![22])
        } else {
            args.ports.clone()
        };
        let users = match args.users.clone().or(file.users.clone()) {
            Some(path) => Some(read_users(&path)?),
            None => None,
        };
        Ok(Options {
            listen: or(&args.listen, &file.listen),
            ports,
            users,
            record: !args.no_record && file.record.unwrap_or(true),
            record_aliases: args.record_aliases || file.record_aliases.unwrap_or(false),
            handshake_timeout: args
                .handshake_timeout
                .or(file.handshake_timeout)
                .unwrap_or(Duration::from_secs(10)),
            idle_timeout: args
                .idle_timeout
                .or(file.idle_timeout)
                .filter(|d| !d.is_zero()),
            drain: args.drain.or(file.drain).unwrap_or(Duration::from_secs(30)),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .map_or(DEFAULT_MAX_CONNECTIONS, usize::from),
        })
    }
}

/// The users file: it decides who may use the proxy, so (like the config
/// file) only its owner may write it, and it holds passwords, so only its
/// owner may read it.
fn read_users(path: &PathBuf) -> Result<Users> {
    let bad = |problem: String| ConfigError::Flag {
        flag: "--users",
        problem: format!("{}: {problem}", path.display()),
        fix: "give a file of user:password lines that is yours alone (chmod 600)",
    };
    crate::store::files::private_file(path).map_err(|p| bad(p.to_string()))?;
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path)?.permissions());
    if mode & 0o077 != 0 {
        return Err(bad(format!(
            "it holds passwords, but its mode {:o} lets others read it",
            mode & 0o777
        ))
        .into());
    }
    Ok(Users::parse(&text).map_err(bad)?)
}

/// A listening socket: TCP, or a Unix socket.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map_or_else(|_| "a TCP socket".into(), |a| a.to_string()),
            Listener::Unix(l) => l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
                .unwrap_or_else(|| "a Unix socket".into()),
        }
    }

    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Listener::Tcp(l) => l.as_fd(),
            Listener::Unix(l) => l.as_fd(),
        }
    }

    fn accept(&self) -> io::Result<(Accepted, String)> {
        match self {
            Listener::Tcp(l) => l
                .accept()
                .map(|(s, peer)| (Accepted::Tcp(s), peer.to_string())),
            Listener::Unix(l) => l
                .accept()
                .map(|(s, _)| (Accepted::Unix(s), "unix".to_string())),
        }
    }
}

/// An accepted client, before it has said where it goes.
enum Accepted {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Accepted {
    fn prepare(&self) -> io::Result<()> {
        match self {
            Accepted::Tcp(s) => {
                s.set_nonblocking(false)?;
                s.set_nodelay(true)
            }
            Accepted::Unix(s) => s.set_nonblocking(false),
        }
    }

    fn set_read_timeout(&self, timeout: Duration) -> io::Result<()> {
        match self {
            Accepted::Tcp(s) => s.set_read_timeout(Some(timeout)),
            Accepted::Unix(s) => s.set_read_timeout(Some(timeout)),
        }
    }

    /// The client's socket for the data path, non-blocking (the relay
    /// waits with poll(2), so that an idle limit covers writes too).
    fn into_socket(self) -> io::Result<Socket> {
        Ok(match self {
            Accepted::Tcp(s) => {
                s.set_read_timeout(None)?;
                s.set_nonblocking(true)?;
                Socket::Tcp(s)
            }
            Accepted::Unix(s) => {
                s.set_read_timeout(None)?;
                s.set_nonblocking(true)?;
                Socket::Tunnel(s)
            }
        })
    }
}

/// The client while it says where it goes: every read must come before one
/// deadline, so a client sending a byte at a time cannot stay for long.
struct Handshake<'a> {
    client: &'a mut Accepted,
    until: Instant,
}

impl io::Read for Handshake<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.client.set_read_timeout(left)?;
        self.client.read(buf)
    }
}

impl io::Write for Handshake<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.client.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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

/// The connections being served, for the drain at shutdown.
#[derive(Default)]
struct Open {
    count: Mutex<usize>,
    changed: Condvar,
}

/// One open connection, counted until dropped (however its thread ends).
struct Counted<'a>(&'a Open);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.add(-1);
    }
}

impl Open {
    fn add(&self, delta: isize) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        *count = count.saturating_add_signed(delta);
        self.changed.notify_all();
    }

    /// Counts a new connection, unless `limit` are open already.
    fn admit(&self, limit: usize) -> Option<Counted<'_>> {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Counted(self))
    }

    /// Waits until none is open or `limit` has passed; how many are left.
    fn drain(&self, limit: Duration) -> usize {
        let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, _) = self
            .changed
            .wait_timeout_while(count, limit, |n| *n > 0)
            .unwrap_or_else(PoisonError::into_inner);
        *count
    }
}

/// What every connection shares.
struct Server<'a> {
    settings: &'a Settings,
    args: &'a ServeArgs,
    options: Options,
    flights: Arc<Flights>,
    open: Open,
}

pub fn run(settings: &Settings, args: &ServeArgs) -> Result<()> {
    let options = Options::new(settings, args)?;
    // Flags that cannot work are refused now, not on each client.
    let mut probe = settings.connection(
        &args.file,
        &args.cache,
        &args.source,
        ("serve", 22),
        args.wait,
    )?;
    settings.tunnel(&mut probe, &args.tunnel, &options.ports)?;
    drop(probe);
    // Caught before anything is bound: a SIGTERM from now on drains.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (mut terminate, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        let _entered = runtime.enter();
        (
            signal(SignalKind::terminate()).context("cannot catch SIGTERM")?,
            signal(SignalKind::interrupt()).context("cannot catch SIGINT")?,
        )
    };
    let listeners = listeners(&options)?;
    crate::text::note(
        settings.quiet,
        &format!(
            "serving SOCKS5 and HTTP CONNECT on {}{}, to instances' port(s) {}",
            listeners
                .iter()
                .map(Listener::describe)
                .collect::<Vec<_>>()
                .join(", "),
            if options.users.is_some() {
                " (users must authenticate)"
            } else {
                ""
            },
            options
                .ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let server = Server {
        settings,
        args,
        options,
        flights: Arc::new(Flights::default()),
        open: Open::default(),
    };
    let (wake_read, wake_write) = rustix::pipe::pipe().context("cannot make a pipe")?;
    std::thread::scope(|scope| {
        let server = &server;
        let accepting =
            scope.spawn(move || accept_loop(scope, server, listeners, wake_read.as_fd()));
        let signal = runtime.block_on(async {
            tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            }
        });
        let _ = rustix::io::write(&wake_write, &[1]);
        let _ = accepting.join();
        let open = *server
            .open
            .count
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        crate::text::note(
            settings.quiet,
            &format!(
                "{signal}: no longer accepting; {open} connection(s) open, finishing within {}",
                humantime::format_duration(server.options.drain)
            ),
        );
        let left = server.open.drain(server.options.drain);
        if left > 0 {
            crate::text::note(
                settings.quiet,
                &format!("{left} connection(s) still open after the drain: ending them"),
            );
            std::process::exit(0);
        }
    });
    Ok(())
}

/// The listeners: `--listen` (or the file's), else what systemd passed
/// (`LISTEN_FDS`), else 127.0.0.1:1080. A TCP listener off loopback needs
/// users: anyone who reaches it could otherwise use it.
fn listeners(options: &Options) -> Result<Vec<Listener>> {
    let listeners = if options.listen.is_empty() {
        let passed = systemd_listeners()?;
        if passed.is_empty() {
            vec![bind("127.0.0.1:1080", false)?]
        } else {
            passed
        }
    } else {
        options
            .listen
            .iter()
            .map(|at| bind(at, options.users.is_some()))
            .collect::<Result<Vec<_>>>()?
    };
    for listener in &listeners {
        if let Listener::Tcp(l) = listener {
            let address = l.local_addr()?;
            if !address.ip().is_loopback() && options.users.is_none() {
                return Err(off_loopback(address).into());
            }
        }
        listener_nonblocking(listener)?;
    }
    Ok(listeners)
}

fn off_loopback(address: SocketAddr) -> ConfigError {
    ConfigError::Flag {
        flag: "--listen",
        problem: format!(
            "{address} is not on loopback and no --users are configured: anyone who reaches it could use it"
        ),
        fix: "add --users FILE (user:password lines), or listen on 127.0.0.1 or a Unix socket",
    }
}

fn listener_nonblocking(listener: &Listener) -> io::Result<()> {
    match listener {
        Listener::Tcp(l) => l.set_nonblocking(true),
        Listener::Unix(l) => l.set_nonblocking(true),
    }
}

/// The sockets systemd passed by socket activation (`LISTEN_PID`,
/// `LISTEN_FDS`), in order.
fn systemd_listeners() -> Result<Vec<Listener>> {
    let mut passed = listenfd::ListenFd::from_env();
    let mut listeners = Vec::new();
    for index in 0..passed.len() {
        if let Some(tcp) = passed.take_tcp_listener(index).ok().flatten() {
            listeners.push(Listener::Tcp(tcp));
        } else if let Some(unix) = passed.take_unix_listener(index).ok().flatten() {
            listeners.push(Listener::Unix(unix));
        } else {
            return Err(ConfigError::Flag {
                flag: "LISTEN_FDS",
                problem: format!(
                    "socket {} systemd passed is neither a listening TCP nor a Unix stream socket",
                    index + 3
                ),
                fix: "give the .socket unit ListenStream= lines only",
            }
            .into());
        }
    }
    Ok(listeners)
}

/// Binds `at`: a path is a Unix socket (only its owner may use it, so the
/// file is made owner-only); anything else an address, which must be on
/// loopback unless users must authenticate (checked before binding).
fn bind(at: &str, authenticated: bool) -> Result<Listener> {
    if at.contains('/') {
        let _ = std::fs::remove_file(at);
        // Owner-only from the moment it exists (no thread runs yet, so the
        // process-wide umask is ours to set for the bind).
        let before = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
        let bound = UnixListener::bind(at);
        rustix::process::umask(before);
        let listener = bound.with_context(|| format!("cannot listen on {at}"))?;
        return Ok(Listener::Unix(listener));
    }
    let address: SocketAddr = at.parse().map_err(|_| ConfigError::Flag {
        flag: "--listen",
        problem: format!("{at:?} is neither IP:PORT nor a socket path"),
        fix: "give 127.0.0.1:1080, [::1]:1080 or /run/user/UID/ec2-hostkey.sock",
    })?;
    if !address.ip().is_loopback() && !authenticated {
        return Err(off_loopback(address).into());
    }
    let listener =
        TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    Ok(Listener::Tcp(listener))
}

/// Accepts on every listener until `wake` is written (a signal), each
/// client on a thread of its own.
fn accept_loop<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    server: &'scope Server<'scope>,
    listeners: Vec<Listener>,
    wake: BorrowedFd<'_>,
) {
    loop {
        let mut fds: Vec<PollFd<'_>> = std::iter::once(wake)
            .chain(listeners.iter().map(Listener::as_fd))
            .map(|fd| PollFd::from_borrowed_fd(fd, PollFlags::IN))
            .collect();
        match rustix::event::poll(&mut fds, None) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                tracing::warn!("poll failed: {e}");
                return;
            }
        }
        if !fds[0].revents().is_empty() {
            return;
        }
        let ready: Vec<bool> = fds[1..].iter().map(|fd| !fd.revents().is_empty()).collect();
        for (listener, _) in listeners.iter().zip(ready).filter(|(_, r)| *r) {
            match listener.accept() {
                Ok((client, peer)) => admit(scope, server, client, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    // Out of descriptors (EMFILE) and the like: the client
                    // stays queued, so pause rather than spin on it.
                    tracing::warn!("accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
}

/// Serves `client` on a thread of its own, unless `--max-connections` are
/// open or no thread can be had: then it is closed at once, and logged.
fn admit<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    server: &'scope Server<'scope>,
    client: Accepted,
    peer: String,
) {
    let options = &server.options;
    let refuse = |peer: &str, why: String| {
        Entry::new(peer, "?", Instant::now())
            .refused(&why)
            .log(options.log_format);
    };
    let Some(counted) = server.open.admit(options.max_connections) else {
        refuse(
            &peer,
            format!(
                "{} connections open already (--max-connections)",
                options.max_connections
            ),
        );
        return;
    };
    let shown = peer.clone();
    let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
        let _counted = counted;
        serve_one(server, client, &peer);
    });
    if let Err(e) = spawned {
        refuse(&shown, format!("cannot start a thread for it: {e}"));
    }
}

/// One client: who it is, its request, the checks, the pipeline, one log line.
fn serve_one(server: &Server<'_>, mut client: Accepted, peer: &str) {
    let started = Instant::now();
    let entry = |target: &str| Entry {
        client: peer.to_string(),
        target: target.to_string(),
        started: Some(started),
        ..Entry::default()
    };
    let options = &server.options;
    let request = client.prepare().and_then(|()| {
        let mut handshake = Handshake {
            client: &mut client,
            until: started + options.handshake_timeout,
        };
        socks::read_request(&mut handshake, options.users.as_ref())
    });
    let request = match request {
        Ok(request) => request,
        Err(e) => {
            let why = match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                    "no request within {} (--handshake-timeout)",
                    humantime::format_duration(options.handshake_timeout)
                ),
                io::ErrorKind::PermissionDenied => format!("not authenticated: {e}"),
                io::ErrorKind::UnexpectedEof => "the client hung up before its request".into(),
                _ => format!("a request neither SOCKS5 nor HTTP CONNECT ({e})"),
            };
            entry("?").refused(&why).log(options.log_format);
            return;
        }
    };
    let target = format!("{}:{}", request.host, request.port);
    if !options.ports.contains(&request.port) {
        let _ = io::Write::write_all(&mut client, &request.protocol.refusal(Refusal::NotAllowed));
        let why = format!("port {} is not carried (--port)", request.port);
        entry(&target).refused(&why).log(options.log_format);
        return;
    }
    let protocol = request.protocol;
    let socket = match client.into_socket() {
        Ok(socket) => socket,
        Err(e) => {
            entry(&target)
                .refused(&e.to_string())
                .log(options.log_format);
            return;
        }
    };
    let shared = Arc::new(Client::stream(
        socket,
        protocol.success(),
        options.idle_timeout,
    ));
    let mut line = entry(&target);
    match carry(server, &request, shared.clone()) {
        Ok(carried) => line.carried(carried),
        Err(err) => {
            if !shared.greeted() {
                let refusal = if not_an_instance(&err) {
                    Refusal::NotAllowed
                } else {
                    Refusal::Failed
                };
                if let Client::Stream { socket, .. } = &*shared {
                    let _ = crate::net::pipe::write_all(socket.as_fd(), &protocol.refusal(refusal));
                }
            }
            line = line.refused(&format!("{err:#}"));
        }
    }
    shared.hang_up();
    if let Some(traffic) = shared.traffic() {
        line.up = traffic.up.load(std::sync::atomic::Ordering::Relaxed);
        line.down = traffic.down.load(std::sync::atomic::Ordering::Relaxed);
    }
    line.log(options.log_format);
}

/// The pipeline `proxy` runs, for this client.
fn carry(server: &Server<'_>, request: &Request, client: Arc<Client>) -> Result<Carried> {
    let (settings, args) = (server.settings, server.args);
    let target = (request.host.as_str(), request.port);
    let mut ctx = settings.connection(&args.file, &args.cache, &args.source, target, args.wait)?;
    settings.tunnel(&mut ctx, &args.tunnel, &[request.port])?;
    ctx.client = client;
    ctx.record = server.options.record;
    ctx.flights = Some(server.flights.clone());
    // Whoever reaches the listener chose the name: it selects the
    // instance, but only EC2's own names of it are written to your file,
    // unless you say every client is you.
    ctx.record_alias = server.options.record_aliases;
    // Both ends are sockets: nothing to splice.
    connection::run(&ctx, Relay::Copy)
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

/// One line per connection: client, target, verdict, instance (and its
/// account), source,
/// bytes each way, duration, and why it ended or was refused.
#[derive(Default)]
struct Entry {
    client: String,
    target: String,
    verdict: &'static str,
    instance: String,
    /// The instance's account, as EC2 said, when known.
    account: Option<String>,
    source: String,
    why: String,
    up: u64,
    down: u64,
    started: Option<Instant>,
}

impl Entry {
    /// What the client sent may hold anything: the log gets it sanitized.
    fn new(client: &str, target: &str, started: Instant) -> Entry {
        Entry {
            client: crate::text::sanitize(client),
            target: crate::text::sanitize(target),
            started: Some(started),
            ..Entry::default()
        }
    }

    fn refused(mut self, why: &str) -> Entry {
        self.verdict = "refused";
        self.why = crate::text::sanitize(why);
        self
    }

    fn carried(&mut self, carried: Carried) {
        self.verdict = "verified";
        self.instance = carried.instance;
        self.account = carried.account;
        self.source = carried.source;
        self.why = match carried.ended {
            Ok(()) => "closed".into(),
            Err(e) => crate::text::sanitize(&format!("ended: {e:#}")),
        };
    }

    fn log(&self, format: LogFormat) {
        let seconds = self.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
        match format {
            LogFormat::Json => eprintln!(
                "{}",
                serde_json::json!({
                    "client": self.client,
                    "target": self.target,
                    "verdict": self.verdict,
                    "instance": (!self.instance.is_empty()).then_some(&self.instance),
                    "account": self.account,
                    "source": (!self.source.is_empty()).then_some(&self.source),
                    "why": self.why,
                    "bytes_up": self.up,
                    "bytes_down": self.down,
                    "seconds": (seconds * 1000.0).round() / 1000.0,
                })
            ),
            LogFormat::Text if self.verdict == "verified" => eprintln!(
                "ec2-hostkey: serve: {} -> {}: verified {}{} (source: {}); {} bytes up, {} down; {} in {seconds:.1}s",
                self.client,
                self.target,
                self.instance,
                self.account
                    .as_deref()
                    .map(|a| format!(" of account {a}"))
                    .unwrap_or_default(),
                self.source,
                self.up,
                self.down,
                self.why
            ),
            LogFormat::Text => eprintln!(
                "ec2-hostkey: serve: {} -> {}: refused ({}) in {seconds:.1}s",
                self.client, self.target, self.why
            ),
        }
    }
}
