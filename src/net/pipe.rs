//! The data path: carrying bytes between ssh (our stdin/stdout) and the
//! instance's socket.
//!
//! Two relays, one thread per direction each ([`Relay`]): by default, and
//! everywhere, a copy through one large buffer per direction, the fastest
//! by measurement; on Linux with `--relay splice`, splice(2) when one end
//! is a pipe, so bytes never enter userspace. Half-close is kept in both
//! directions: EOF on stdin shuts down the socket's write side, EOF from the
//! socket closes stdout, and we exit once both directions are done.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

const CHUNK: usize = 1 << 20;

/// How bytes cross between ssh and the socket once the key is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// splice(2), Linux only: the kernel moves pages between pipe and socket.
    Splice,
    /// read(2)/write(2) through a buffer: every Unix.
    Copy,
}

impl Relay {
    /// The default relay: the copy, on every system. By measurement
    /// (`contrib/bench --only-bulk`, release build, two cores, best of 7 on
    /// 512 MiB) the two relays are within the noise of each other once
    /// splice no longer sleeps to batch wakeups (that 2 ms batch let ssh
    /// stall on a full pipe: 0.73x of direct): copy 0.90x / splice 0.83x of
    /// a direct connection with aes128-gcm, 0.86x / 0.83x with chacha20,
    /// each about 0.7 CPU s/GiB above direct, where nc is 0.66x-0.71x and
    /// socat 0.59x-0.64x; a keystroke's round trip is 140-160 µs with
    /// either. The copy is one code path everywhere.
    pub fn best() -> Relay {
        Relay::Copy
    }
}
/// The server's end of the data path: a TCP connection, or our end of a
/// tunnel (`net::tunnel`) that carries the bytes on.
#[derive(Debug)]
pub enum Socket {
    Tcp(TcpStream),
    Tunnel(UnixStream),
}

impl Socket {
    fn try_clone(&self) -> io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            Socket::Tunnel(s) => Socket::Tunnel(s.try_clone()?),
        })
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.shutdown(how),
            Socket::Tunnel(s) => s.shutdown(how),
        }
    }

    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_nonblocking(nonblocking),
            Socket::Tunnel(s) => s.set_nonblocking(nonblocking),
        }
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Socket::Tcp(s) => s.as_fd(),
            Socket::Tunnel(s) => s.as_fd(),
        }
    }
}

/// The client's end of the data path: ssh's pipes (our stdin and stdout,
/// as a ProxyCommand), or a socket a client reached us on (`serve`), with
/// what it must be told once the server is reached (a SOCKS or HTTP
/// CONNECT success reply).
#[derive(Debug)]
pub enum Client {
    Stdio,
    Stream {
        socket: Socket,
        greeting: Vec<u8>,
        greeted: AtomicBool,
        traffic: Arc<Traffic>,
    },
}

/// What crossed a socket client's connection, and when it last moved: for
/// `serve`'s log line and its idle timeout.
#[derive(Debug)]
pub struct Traffic {
    /// Bytes from the client to the server, and back.
    pub up: AtomicU64,
    pub down: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` that a byte last crossed either way.
    last: AtomicU64,
    /// End the connection when no byte has crossed either way for this long.
    idle: Option<Duration>,
}

impl Traffic {
    fn new(idle: Option<Duration>) -> Traffic {
        Traffic {
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            started: Instant::now(),
            last: AtomicU64::new(0),
            idle,
        }
    }

    fn crossed(&self, counter: &AtomicU64, bytes: usize) {
        counter.fetch_add(bytes as u64, Ordering::Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    /// How long neither direction has moved a byte.
    fn quiet_for(&self) -> Duration {
        self.started
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    /// Blocks until `fd` is ready for `events`; fails with `TimedOut` once
    /// the whole connection (both directions) has been idle for the limit.
    fn wait(&self, fd: BorrowedFd<'_>, events: PollFlags) -> io::Result<()> {
        let Some(idle) = self.idle else {
            return wait(fd, events);
        };
        loop {
            let left = idle.saturating_sub(self.quiet_for());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "idle for {} (--idle-timeout)",
                        humantime::format_duration(idle)
                    ),
                ));
            }
            let timeout =
                rustix::event::Timespec::try_from(left).unwrap_or(rustix::event::Timespec {
                    tv_sec: 60,
                    tv_nsec: 0,
                });
            let mut fds = [PollFd::from_borrowed_fd(fd, events)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Writes all of `data` to `fd` (non-blocking), within the idle limit:
    /// a client that stops reading is cut like one that stops talking.
    fn write_all(&self, fd: BorrowedFd<'_>, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match rustix::io::write(fd, data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(rustix::io::Errno::AGAIN) => self.wait(fd, PollFlags::OUT)?,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

impl Client {
    /// A client on a socket, to be sent `greeting` once the server is
    /// reached, and cut after `idle` without a byte either way.
    pub fn stream(socket: Socket, greeting: Vec<u8>, idle: Option<Duration>) -> Client {
        Client::Stream {
            socket,
            greeting,
            greeted: AtomicBool::new(false),
            traffic: Arc::new(Traffic::new(idle)),
        }
    }

    /// What has crossed a socket client's connection so far.
    pub fn traffic(&self) -> Option<&Traffic> {
        match self {
            Client::Stdio => None,
            Client::Stream { traffic, .. } => Some(traffic),
        }
    }

    /// Where the server's bytes go.
    pub fn writer(&self) -> BorrowedFd<'_> {
        match self {
            Client::Stdio => rustix::stdio::stdout(),
            Client::Stream { socket, .. } => socket.as_fd(),
        }
    }

    /// Tells a socket client the server is reached (once); nothing for ssh.
    ///
    /// # Errors
    /// The client is gone.
    pub fn greet(&self) -> io::Result<()> {
        match self {
            Client::Stdio => Ok(()),
            Client::Stream {
                socket,
                greeting,
                greeted,
                ..
            } => {
                if greeted.swap(true, Ordering::SeqCst) {
                    return Ok(());
                }
                write_all(socket.as_fd(), greeting)
            }
        }
    }

    /// Whether the client was told the server is reached.
    pub fn greeted(&self) -> bool {
        match self {
            Client::Stdio => false,
            Client::Stream { greeted, .. } => greeted.load(Ordering::SeqCst),
        }
    }

    /// Ends a socket client's connection both ways (a refusal): a thread
    /// still reading it stops, and the client sees the end at once.
    pub fn hang_up(&self) {
        if let Client::Stream { socket, .. } = self {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// A handle to read the client's bytes from, for the upstream thread,
    /// and the connection's traffic.
    fn reader(&self) -> io::Result<Option<(Socket, Arc<Traffic>)>> {
        match self {
            Client::Stdio => Ok(None),
            Client::Stream {
                socket, traffic, ..
            } => Ok(Some((socket.try_clone()?, traffic.clone()))),
        }
    }

    /// Tells the client the server is done: stdout closed, or the socket's
    /// write side shut.
    fn finish(&self) {
        match self {
            Client::Stdio => close_stdout(),
            Client::Stream { socket, .. } => {
                let _ = socket.shutdown(Shutdown::Write);
            }
        }
    }
}

/// Makes the socket non-blocking (see [`splice_all`]); all our I/O on it waits through poll(2).
pub fn prepare(socket: &Socket) -> io::Result<()> {
    socket.set_nonblocking(true)
}

/// What the client offered in its KEXINIT, as the upstream thread saw it pass.
pub type ClientOffer = std::sync::mpsc::Receiver<Result<Vec<String>, crate::net::kex::Error>>;

/// Copies the client's bytes (stdin, or its socket) to the server's socket
/// on a thread, shutting the socket's write side at EOF. The client's
/// version line and KEXINIT are read on the way (`kex::read_client_offer`)
/// and the methods it offered are sent back for the key-exchange reader.
pub fn spawn_upstream(
    client: &Client,
    socket: &Socket,
    relay: Relay,
) -> io::Result<(JoinHandle<io::Result<()>>, ClientOffer)> {
    let socket = socket.try_clone()?;
    let from = client.reader()?;
    let (offer, offered) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let stdin = io::stdin();
        let (fd, counted) = match &from {
            Some((client, traffic)) => (client.as_fd(), Some((&**traffic, &traffic.up))),
            None => {
                grow_pipe(stdin.as_fd());
                (stdin.as_fd(), None)
            }
        };
        let result =
            match crate::net::kex::read_client_offer(&mut FdIo(fd), &mut FdIo(socket.as_fd())) {
                Ok((methods, forwarded)) => {
                    if let Some((traffic, up)) = counted {
                        traffic.crossed(up, forwarded);
                    }
                    let _ = offer.send(Ok(methods));
                    forward(fd, socket.as_fd(), relay, counted)
                }
                Err(e) => {
                    let error = io::Error::other(e.to_string());
                    let _ = offer.send(Err(e));
                    Err(error)
                }
            };
        match &result {
            Ok(()) => {
                let _ = socket.shutdown(Shutdown::Write);
            }
            // The server side is gone: end the other direction too.
            Err(_) => {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
        result
    });
    Ok((thread, offered))
}

/// Writes `held` to the client, then copies the socket to it until EOF,
/// then tells the client the server is done.
pub fn downstream(socket: &Socket, held: &[u8], client: &Client, relay: Relay) -> io::Result<()> {
    let out = client.writer();
    if matches!(client, Client::Stdio) {
        grow_pipe(out);
    }
    write_all(out, held)?;
    let counted = client.traffic().map(|t| (t, &t.down));
    if let Some((traffic, down)) = counted {
        traffic.crossed(down, held.len());
    }
    let result = forward(socket.as_fd(), out, relay, counted);
    client.finish();
    result
}

/// A bigger pipe to or from ssh means fewer wakeups per megabyte; best
/// effort, and Linux only (other systems size pipes themselves).
fn grow_pipe(fd: BorrowedFd<'_>) {
    #[cfg(target_os = "linux")]
    let _ = rustix::pipe::fcntl_setpipe_size(fd, CHUNK);
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

/// Sends the connected socket to ssh over stdout (`ProxyUseFdpass yes`): one
/// byte of data carrying the descriptor as SCM_RIGHTS, as ssh's
/// `mm_receive_fd` expects. After this we are out of the data path.
pub fn pass_socket(socket: &Socket) -> io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    let fds = [socket.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("ancillary buffer too small"));
    }
    let stdout = io::stdout();
    let sent = sendmsg(
        stdout.as_fd(),
        &[io::IoSlice::new(&[0])],
        &mut control,
        SendFlags::empty(),
    )?;
    if sent != 1 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    Ok(())
}

/// Writes everything to `fd`, waiting while it is full.
pub fn write_all(fd: BorrowedFd<'_>, data: &[u8]) -> io::Result<()> {
    FdIo(fd).write_all(data)
}

/// Replaces fd 1 with /dev/null so ssh sees EOF on its end of the pipe.
fn close_stdout() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = rustix::stdio::dup2_stdout(null.as_fd());
    }
}

/// Moves bytes from `from` to `to` until EOF; a broken pipe or reset is a clean end.
/// With `counted`, the bytes moved are added to the traffic's counter (the
/// copy relay, which a socket client always gets: no pipe to splice).
fn forward(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    relay: Relay,
    counted: Option<Counted<'_>>,
) -> io::Result<()> {
    let result = match relay {
        #[cfg(target_os = "linux")]
        Relay::Splice if counted.is_none() => match splice_all(from, to) {
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                copy_all(from, to, None)
            }
            other => other,
        },
        _ => copy_all(from, to, counted),
    };
    match result {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// splice(2) loop; fails with EINVAL before moving anything when neither end is a pipe.
///
/// Splicing from a socket into a pipe holds the pipe's lock while it waits,
/// which would stall ssh's read of that pipe; so the call never waits:
/// SPLICE_F_NONBLOCK for the pipe end, a non-blocking socket, and poll(2)
/// for readiness instead.
#[cfg(target_os = "linux")]
fn splice_all(from: BorrowedFd<'_>, to: BorrowedFd<'_>) -> io::Result<()> {
    use rustix::pipe::{SpliceFlags, splice};
    loop {
        match splice(
            from,
            None,
            to,
            None,
            CHUNK,
            SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
        ) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            // Either nothing to read or no room to write: wait for whichever it is.
            // While data streams, no poll(2) is made at all.
            Err(rustix::io::Errno::AGAIN) => {
                if ready(to, PollFlags::OUT)? {
                    wait(from, PollFlags::IN)?;
                } else {
                    wait(to, PollFlags::OUT)?;
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The portable relay: one buffer per direction, as large as a splice
/// chunk, so a bulk transfer costs a read and a write per megabyte.
fn copy_all(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    counted: Option<Counted<'_>>,
) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        if let Some((traffic, _)) = counted {
            traffic.wait(from, PollFlags::IN)?;
        }
        let n = match FdIo(from).read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match counted {
            Some((traffic, counter)) => {
                traffic.write_all(to, &buf[..n])?;
                traffic.crossed(counter, n);
            }
            None => FdIo(to).write_all(&buf[..n])?,
        }
    }
}

/// A connection's traffic, and which of its counters a direction adds to.
type Counted<'a> = (&'a Traffic, &'a AtomicU64);

/// Whether `fd` is ready for `events` right now.
#[cfg(target_os = "linux")]
fn ready(fd: BorrowedFd<'_>, events: PollFlags) -> io::Result<bool> {
    let mut fds = [PollFd::from_borrowed_fd(fd, events)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    Ok(rustix::event::poll(&mut fds, Some(&zero))? > 0)
}

/// Blocks until `fd` is ready for `events` (or hung up, or in error).
fn wait(fd: BorrowedFd<'_>, events: PollFlags) -> io::Result<()> {
    let mut fds = [PollFd::from_borrowed_fd(fd, events)];
    loop {
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads from a descriptor that may be non-blocking, failing with
/// `TimedOut` when nothing arrives for `idle`: for reading a server that is
/// not yet verified (a tarpit must not hang ssh forever).
pub struct TimedRead<'a> {
    pub fd: BorrowedFd<'a>,
    pub idle: Duration,
}

impl Read for TimedRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match rustix::io::read(self.fd, &mut *buf) {
                Err(rustix::io::Errno::AGAIN) => {
                    let mut fds = [PollFd::from_borrowed_fd(self.fd, PollFlags::IN)];
                    let timeout = rustix::event::Timespec {
                        tv_sec: self.idle.as_secs() as i64,
                        tv_nsec: i64::from(self.idle.subsec_nanos()),
                    };
                    match rustix::event::poll(&mut fds, Some(&timeout)) {
                        Ok(0) => {
                            return Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                format!(
                                    "the server sent nothing for {}s during the key exchange",
                                    self.idle.as_secs()
                                ),
                            ));
                        }
                        Ok(_) | Err(rustix::io::Errno::INTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(rustix::io::Errno::INTR) => {}
                other => return Ok(other?),
            }
        }
    }
}

/// Blocking Read/Write over a descriptor that may be non-blocking.
pub struct FdIo<'a>(pub BorrowedFd<'a>);

impl Read for FdIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match rustix::io::read(self.0, &mut *buf) {
                Err(rustix::io::Errno::AGAIN) => wait(self.0, PollFlags::IN)?,
                Err(rustix::io::Errno::INTR) => {}
                other => return Ok(other?),
            }
        }
    }
}

impl Write for FdIo<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match rustix::io::write(self.0, buf) {
                Err(rustix::io::Errno::AGAIN) => wait(self.0, PollFlags::OUT)?,
                Err(rustix::io::Errno::INTR) => {}
                other => return Ok(other?),
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
