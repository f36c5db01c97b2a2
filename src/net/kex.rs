//! Reading the server's host key out of the SSH key exchange as it passes.
//!
//! The server sends its host key (`K_S`) in the clear, in the key-exchange
//! reply, before the client checks it (RFC 4253 §8, RFC 5656 §4, RFC 4419 §3;
//! the hybrid post-quantum methods reply the same way). We forward the
//! server's version line and every packet before that reply at once, hold the
//! reply back, and hand its key to the caller, who verifies it and writes
//! known_hosts before ssh ever sees the key. The client never waits for us
//! except on that one packet, and we make no extra connection.
//!
//! Which packet is the reply depends on the method both sides agreed on
//! (message 31 is the reply of ECDH, DH and the hybrid methods, but the
//! group offer of group exchange, whose reply is 33), so both offers are
//! read: the server's as it passes here, the client's as it passes the
//! other way ([`read_client_offer`]). A method whose host key travels
//! elsewhere (RSA key exchange, GSS) is refused, and so is any server
//! message before the reply that no key exchange sends there.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use ssh_key::{Certificate, HashAlg, PublicKey};

/// KEXDH_REPLY / KEX_ECDH_REPLY / KEX_HYBRID_REPLY share number 31; in
/// group exchange 31 is KEX_DH_GEX_GROUP and the reply is 33.
const MSG_KEX_REPLY: u8 = 31;
const MSG_GEX_REPLY: u8 = 33;
const MSG_DISCONNECT: u8 = 1;
const MSG_KEXINIT: u8 = 20;
/// IGNORE, UNIMPLEMENTED and DEBUG may come at any time (RFC 4253 §11).
const ANYTIME: [u8; 3] = [2, 3, 4];
/// A server that sends more than this before its host key is stalling.
const MAX_PACKETS_BEFORE_REPLY: usize = 64;
/// RFC 4253 §6.1 lets implementations cap packets; 256 KiB is far above any kex.
const MAX_PACKET: usize = 256 * 1024;
/// Lines the server may send before its version line (RFC 4253 §4.2).
const MAX_PREAMBLE: usize = 64 * 1024;

pub use crate::error::KexError as Error;

/// What the server presented as its host key: a plain key, or a host
/// certificate over one (sshd's `HostCertificate`: ssh asks for those first
/// whenever known_hosts has no line for the host). The key, a certificate's
/// own key, is what a source must vouch for: a certificate adds no trust by
/// itself, since anyone can sign anything.
#[derive(Debug, Clone)]
pub struct Presented {
    pub key: PublicKey,
    pub certificate: Option<Certificate>,
}

impl Presented {
    /// One line for messages and `-v`: the kind, and for a certificate its
    /// type, signing CA, principals and validity (as the server claims them).
    pub fn describe(&self) -> String {
        let fingerprint = self.key.fingerprint(HashAlg::Sha256);
        let Some(cert) = &self.certificate else {
            return format!("plain key {} {fingerprint}", self.key.algorithm().as_str());
        };
        let principals = if cert.valid_principals().is_empty() {
            "any host".to_string()
        } else {
            crate::text::sanitize(&cert.valid_principals().join(","))
        };
        // The server's claims: only the CA's signature over them is checked
        // here, and nothing in them is trusted.
        let signature = if cert.verify_signature().is_ok() {
            "a valid signature"
        } else {
            "an INVALID signature"
        };
        format!(
            "certificate {} over {fingerprint}, claiming CA {} with {signature}, principals {principals}, valid {} to {}",
            cert.algorithm().to_certificate_type(),
            cert.signature_key().fingerprint(HashAlg::Sha256),
            unix_time(cert.valid_after()),
            unix_time(cert.valid_before()),
        )
    }
}

/// A certificate's validity bound as a UTC time (`forever` for OpenSSH's
/// all-ones "no expiry").
pub fn unix_time(seconds: u64) -> String {
    // RFC 3339 ends with year 9999; a server may claim any u64 (and
    // formatting past it would panic in `to_string`).
    const LAST_RFC3339_SECOND: u64 = 253_402_300_799;
    if seconds >= i64::MAX as u64 {
        return "forever".into();
    }
    if seconds > LAST_RFC3339_SECOND {
        return "after 9999".into();
    }
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
        .to_string()
}

/// The server's host key and the bytes held back (the reply packet and anything after it).
#[derive(Debug)]
pub struct Intercepted {
    pub presented: Presented,
    pub held: Vec<u8>,
}

/// Where a key-exchange method puts the server's host key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// In the reply, message 31: ECDH, the fixed DH groups, the hybrids.
    Reply,
    /// Group exchange: 31 is the group (two mpints), 33 the reply.
    GroupExchange,
}

/// The method `name` is, if its host key is one we can read in time.
fn method(name: &str) -> Option<Method> {
    if name.starts_with("diffie-hellman-group-exchange-") {
        return Some(Method::GroupExchange);
    }
    let reply = [
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "curve448-sha512",
    ]
    .contains(&name)
        || [
            "ecdh-sha2-",
            "diffie-hellman-group",
            "sntrup761x25519-",
            "mlkem",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    reply.then_some(Method::Reply)
}

/// The method SSH agrees on (RFC 4253 §7.1): the client's first that the
/// server also offers.
fn agreed<'a>(client: &'a [String], server: &[String]) -> Option<&'a str> {
    client
        .iter()
        .find(|name| server.contains(name))
        .map(String::as_str)
}

/// The key-exchange methods of a KEXINIT payload (its first name-list).
fn kexinit_methods(payload: &[u8]) -> Option<Vec<String>> {
    if payload.first() != Some(&MSG_KEXINIT) {
        return None;
    }
    let (list, _) = read_string(payload.get(17..)?)?;
    let list = std::str::from_utf8(list).ok()?;
    Some(list.split(',').map(str::to_string).collect())
}

/// Reads from `server`, forwarding to `client` until the packet carrying the
/// host key. `client_offer` gives the methods the client offered, once its
/// KEXINIT has passed (it may wait for that).
///
/// # Errors
/// The server closed, sent something that is not SSH, disconnected, sent a
/// message no key exchange sends before its reply, or the agreed method is
/// one whose host key we cannot read.
pub fn intercept_host_key(
    server: &mut impl Read,
    client: &mut impl Write,
    client_offer: &mut dyn FnMut() -> Result<Vec<String>, Error>,
) -> Result<Intercepted, Error> {
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut pos = 0; // first byte not yet forwarded
    let mut in_banner = true;
    let mut preamble = 0; // bytes of lines before and including the version line
    let mut chunk = [0u8; 16 * 1024];
    let mut server_methods: Option<Vec<String>> = None;
    let mut method_agreed: Option<Method> = None;
    let mut packets = 0;
    loop {
        // Consume whatever complete units the buffer holds.
        loop {
            if in_banner {
                let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
                    if preamble + buf.len() - pos > MAX_PREAMBLE {
                        return Err(Error::NotSsh);
                    }
                    break;
                };
                let line_end = pos + nl + 1;
                preamble += nl + 1;
                in_banner = !buf[pos..line_end].starts_with(b"SSH-");
                if in_banner && preamble > MAX_PREAMBLE {
                    return Err(Error::NotSsh);
                }
                client.write_all(&buf[pos..line_end])?;
                pos = line_end;
                continue;
            }
            let Some(packet) = complete_packet(&buf[pos..])? else {
                break;
            };
            packets += 1;
            if packets > MAX_PACKETS_BEFORE_REPLY {
                return Err(Error::Malformed("too many packets before the host key"));
            }
            let payload = packet.payload;
            let message = payload.first().copied().unwrap_or(0);
            match message {
                MSG_DISCONNECT => return Err(Error::Disconnected(disconnect_reason(payload))),
                m if ANYTIME.contains(&m) => {}
                MSG_KEXINIT if server_methods.is_none() => {
                    server_methods = Some(
                        kexinit_methods(payload)
                            .ok_or(Error::Malformed("a KEXINIT that does not parse"))?,
                    );
                }
                30..=49 => {
                    let Some(server_offer) = &server_methods else {
                        return Err(Error::Malformed("a key-exchange message before KEXINIT"));
                    };
                    let method = match method_agreed {
                        Some(method) => method,
                        None => {
                            let offered = client_offer()?;
                            let name = agreed(&offered, server_offer).ok_or(Error::Malformed(
                                "a key-exchange message though no method was agreed",
                            ))?;
                            *method_agreed.insert(
                                method(name).ok_or_else(|| Error::Unsupported(name.to_string()))?,
                            )
                        }
                    };
                    let is_reply = match method {
                        Method::Reply => message == MSG_KEX_REPLY,
                        Method::GroupExchange => message == MSG_GEX_REPLY,
                    };
                    if is_reply {
                        client.flush()?;
                        return Ok(Intercepted {
                            presented: reply_key(&payload[1..])?,
                            held: buf[pos..].to_vec(),
                        });
                    }
                    // What group exchange sends before its reply: the group,
                    // two mpints and nothing else.
                    if !(method == Method::GroupExchange
                        && message == MSG_KEX_REPLY
                        && two_mpints(&payload[1..]))
                    {
                        return Err(Error::Malformed(
                            "a key-exchange message where the host key should be",
                        ));
                    }
                }
                _ => {
                    return Err(Error::Malformed(
                        "a message before the host key that no key exchange sends",
                    ));
                }
            }
            let end = pos + packet.len;
            client.write_all(&buf[pos..end])?;
            pos = end;
        }
        client.flush()?;
        // Drop what was forwarded so the buffer stays small.
        buf.drain(..pos);
        pos = 0;
        let n = server.read(&mut chunk)?;
        if n == 0 {
            return Err(if in_banner && !buf.is_empty() {
                Error::NotSsh
            } else {
                Error::Closed
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The host key of a key-exchange reply, which must be whole (K_S, the
/// server's exchange value, a signature, nothing after): anything else is
/// refused, never passed on.
fn reply_key(payload: &[u8]) -> Result<Presented, Error> {
    if !whole_reply(payload) {
        return Err(Error::Malformed(
            "a key-exchange reply that is not K_S, the exchange value and a signature",
        ));
    }
    leading_key(payload).ok_or(Error::Malformed(
        "a host key in the key-exchange reply that does not parse",
    ))
}

/// Whether `payload` is exactly two strings (a group exchange's p and g).
fn two_mpints(payload: &[u8]) -> bool {
    read_string(payload)
        .and_then(|(_, rest)| read_string(rest))
        .is_some_and(|(_, rest)| rest.is_empty())
}

/// Reads the client's version line and its KEXINIT from `from`, forwarding
/// every byte to `to` as it comes; returns the methods the client offered
/// and how many bytes were forwarded. The caller then carries the rest.
///
/// # Errors
/// The client closed, sent no SSH, or its first packet is no KEXINIT.
pub fn read_client_offer(
    from: &mut impl Read,
    to: &mut impl Write,
) -> Result<(Vec<String>, usize), Error> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16 * 1024];
    let mut version_end = None;
    loop {
        let n = from.read(&mut chunk)?;
        if n == 0 {
            return Err(Error::ClientOffer(
                "the client closed before its KEXINIT".into(),
            ));
        }
        to.write_all(&chunk[..n])?;
        to.flush()?;
        buf.extend_from_slice(&chunk[..n]);
        if version_end.is_none() {
            let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                if buf.len() > MAX_PREAMBLE {
                    return Err(Error::ClientOffer("no SSH version line".into()));
                }
                continue;
            };
            if !buf.starts_with(b"SSH-") {
                return Err(Error::ClientOffer("no SSH version line".into()));
            }
            version_end = Some(nl + 1);
        }
        let start = version_end.unwrap_or_default();
        let packet =
            complete_packet(&buf[start..]).map_err(|e| Error::ClientOffer(e.to_string()))?;
        if let Some(packet) = packet {
            let methods = kexinit_methods(packet.payload)
                .ok_or_else(|| Error::ClientOffer("its first packet is no KEXINIT".into()))?;
            return Ok((methods, buf.len()));
        }
    }
}

/// Key-exchange methods the probe offers; the reply carries `K_S` either way.
const PROBE_KEX: &str = "curve25519-sha256,curve25519-sha256@libssh.org";
const PROBE_HOST_KEYS: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";

/// Asks a live server for its host key of one algorithm (or its preferred one)
/// by starting a key exchange and stopping at the server's reply: no
/// authentication, nothing sent after our ephemeral key.
///
/// The key is not proven here (we never check the server's signature); the
/// caller trusts it only if the instance's own records list it, and ssh then
/// checks the signature against known_hosts as always.
///
/// # Errors
/// The server is not reachable, not SSH, or does not offer that algorithm.
pub fn probe(
    socket: &mut (impl Read + Write),
    host_key_algorithm: Option<&str>,
) -> Result<Presented, Error> {
    socket.write_all(&client_hello(host_key_algorithm))?;
    socket.flush()?;
    let mut ours = || Ok(PROBE_KEX.split(',').map(str::to_string).collect());
    Ok(intercept_host_key(socket, &mut io::sink(), &mut ours)?.presented)
}

/// Host key algorithms in the order ssh asks for them when known_hosts has
/// no line for the host: certificates first. A probe that asks so sees what
/// ssh's first connection sees.
pub const AS_SSH_ASKS: &str = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,\
ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,\
rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,\
ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";

/// What a client sends to make a server reveal its host key: our version
/// line, a KEXINIT offering curve25519 (and `host_key_algorithm`, or the usual
/// list), and a KEX_ECDH_INIT with a random ephemeral value.
pub fn client_hello(host_key_algorithm: Option<&str>) -> Vec<u8> {
    let mut kexinit = vec![20u8];
    let mut cookie = [0u8; 16];
    ssh_key::rand_core::RngCore::fill_bytes(&mut ssh_key::rand_core::OsRng, &mut cookie);
    kexinit.extend_from_slice(&cookie);
    let lists = [
        PROBE_KEX,
        host_key_algorithm.unwrap_or(PROBE_HOST_KEYS),
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
        "hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ];
    for list in lists {
        kexinit.extend_from_slice(&string(list.as_bytes()));
    }
    kexinit.extend_from_slice(&[0, 0, 0, 0, 0]); // first_kex_packet_follows, reserved
    // Any 32 bytes are a curve25519 public value; the server replies before we
    // would need the matching secret.
    let mut ephemeral = [0u8; 32];
    ssh_key::rand_core::RngCore::fill_bytes(&mut ssh_key::rand_core::OsRng, &mut ephemeral);
    let mut init = vec![30u8];
    init.extend_from_slice(&string(&ephemeral));
    let mut out = b"SSH-2.0-ec2-hostkey_probe\r\n".to_vec();
    out.extend(packet(&kexinit));
    out.extend(packet(&init));
    out
}

/// An unencrypted binary packet (RFC 4253 §6), padded to 8 bytes.
fn packet(payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - (payload.len() + 5) % 8;
    if padding < 4 {
        padding += 8;
    }
    let mut out = ((payload.len() + padding + 1) as u32)
        .to_be_bytes()
        .to_vec();
    out.push(padding as u8);
    out.extend_from_slice(payload);
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

fn string(data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(data);
    out
}

struct Packet<'a> {
    len: usize,
    payload: &'a [u8],
}

/// A complete unencrypted binary packet at the start of `data`, if there is one.
fn complete_packet(data: &[u8]) -> Result<Option<Packet<'_>>, Error> {
    if data.len() < 5 {
        return Ok(None);
    }
    let length = u32::from_be_bytes(data[..4].try_into().expect("4 bytes")) as usize;
    if !(5..=MAX_PACKET).contains(&length) {
        return Err(Error::Malformed("bad packet length"));
    }
    if data.len() < 4 + length {
        return Ok(None);
    }
    let padding = data[4] as usize;
    if padding + 1 > length {
        return Err(Error::Malformed("bad padding length"));
    }
    Ok(Some(Packet {
        len: 4 + length,
        payload: &data[5..4 + length - padding],
    }))
}

fn read_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let body = data.get(4..4 + len)?;
    Some((body, &data[4 + len..]))
}

/// Whether `payload` is exactly a key-exchange reply's three strings
/// (RFC 4253 §8, RFC 5656 §4, RFC 4419 §3, the hybrid methods): the host
/// key, the server's exchange value (an mpint or a string), and a signature
/// that is itself a named blob.
fn whole_reply(payload: &[u8]) -> bool {
    let parsed = (|| {
        let (_, rest) = read_string(payload)?;
        let (_, rest) = read_string(rest)?;
        let (signature, rest) = read_string(rest)?;
        let (name, signed) = read_string(signature)?;
        let (_, after) = read_string(signed)?;
        Some(rest.is_empty() && after.is_empty() && !name.is_empty())
    })();
    parsed == Some(true)
}

/// The host key blob at the start of a key-exchange reply: a plain key, or
/// an OpenSSH certificate of any host-key type (the security-key `sk-`
/// types are no host keys, and are refused as ever).
fn leading_key(payload: &[u8]) -> Option<Presented> {
    let (blob, _) = read_string(payload)?;
    let (name, _) = read_string(blob)?;
    if name.ends_with(b"-cert-v01@openssh.com") {
        if name.starts_with(b"sk-") {
            return None;
        }
        let certificate = Certificate::from_bytes(blob).ok()?;
        return Some(Presented {
            key: PublicKey::from(certificate.public_key().clone()),
            certificate: Some(certificate),
        });
    }
    Some(Presented {
        key: PublicKey::from_bytes(blob).ok()?,
        certificate: None,
    })
}

fn disconnect_reason(payload: &[u8]) -> String {
    payload
        .get(5..)
        .and_then(read_string)
        .map(|(text, _)| crate::text::sanitize_lines(text))
        .unwrap_or_else(|| "no reason given".into())
}

/// Host key algorithms a server is asked for, one probe each.
const PROBE_ALGORITHMS: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
];
/// Connect and read timeout of a probe: a tarpit must not hang us.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server at `ip`:`port` presents to a client that asks as ssh
/// does on a first connection (certificates first).
///
/// # Errors
/// The server cannot be reached, or is not SSH.
pub fn probe_as_ssh(ip: IpAddr, port: u16, timeout: Duration) -> anyhow::Result<Presented> {
    let socket = TcpStream::connect_timeout(&SocketAddr::new(ip, port), timeout)?;
    socket.set_write_timeout(Some(timeout))?;
    let mut bounded = Deadline {
        socket,
        until: std::time::Instant::now() + timeout,
    };
    Ok(probe(&mut bounded, Some(AS_SSH_ASKS))?)
}

/// A socket whose reads all end by one deadline: a server that drips a
/// byte at a time cannot hold a probe past it.
struct Deadline {
    socket: TcpStream,
    until: std::time::Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self
            .until
            .saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.socket.set_read_timeout(Some(left))?;
        self.socket.read(buf)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

/// Every host key the server at `ip`:`port` presents, one connection per
/// key type, each key once.
///
/// # Errors
/// The server cannot be reached.
pub fn probe_all(ip: IpAddr, port: u16) -> anyhow::Result<Vec<PublicKey>> {
    let mut keys: Vec<PublicKey> = Vec::new();
    for algorithm in PROBE_ALGORITHMS {
        let Ok(mut socket) = TcpStream::connect_timeout(&SocketAddr::new(ip, port), PROBE_TIMEOUT)
        else {
            anyhow::bail!("cannot connect to {ip} port {port} to probe its host keys");
        };
        socket.set_read_timeout(Some(PROBE_TIMEOUT)).ok();
        socket.set_write_timeout(Some(PROBE_TIMEOUT)).ok();
        // A server without this key type ends the exchange: not an error.
        let Ok(Presented { key, .. }) = probe(&mut socket, Some(algorithm)) else {
            continue;
        };
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";

    /// Bytes that arrive one at a time.
    struct Trickle(Vec<u8>, usize);

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() {
                return Ok(0);
            }
            out[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }

    /// A KEXINIT offering `methods` (and plausible other lists).
    fn kexinit(methods: &str) -> Vec<u8> {
        let mut payload = vec![20];
        payload.extend([9u8; 16]);
        for list in [
            methods,
            "ssh-ed25519",
            "aes128-ctr",
            "aes128-ctr",
            "hmac-sha2-256",
            "hmac-sha2-256",
            "none",
            "none",
            "",
            "",
        ] {
            payload.extend(string(list.as_bytes()));
        }
        payload.extend([0, 0, 0, 0, 0]);
        packet(&payload)
    }

    /// A client that offered curve25519 only.
    fn curve() -> impl FnMut() -> Result<Vec<String>, Error> {
        || Ok(vec!["curve25519-sha256".to_string()])
    }

    /// A client that offered `methods`.
    fn offering(methods: &'static str) -> impl FnMut() -> Result<Vec<String>, Error> {
        move || Ok(methods.split(',').map(str::to_string).collect())
    }

    /// A server's version line and KEXINIT offering `methods`.
    fn server_hello(methods: &str) -> Vec<u8> {
        let mut out = b"SSH-2.0-OpenSSH_9.2\r\n".to_vec();
        out.extend(kexinit(methods));
        out
    }

    fn stream() -> (Vec<u8>, Vec<u8>) {
        let key = PublicKey::from_openssh(ED).unwrap();
        let mut before = b"banner line\r\nSSH-2.0-OpenSSH_9.2\r\n".to_vec();
        before.extend(kexinit("curve25519-sha256"));
        let mut reply = vec![31];
        reply.extend(string(&key.to_bytes().unwrap()));
        reply.extend(string(b"ephemeral"));
        reply.extend(signature());
        let mut after = packet(&reply);
        after.extend(packet(&[21]));
        (before, after)
    }

    #[test]
    fn forwards_everything_before_the_reply_and_holds_the_rest() {
        let (before, after) = stream();
        let mut input: Vec<u8> = before.clone();
        input.extend(&after);
        let mut forwarded = Vec::new();
        let got = intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut curve()).unwrap();
        assert_eq!(got.presented.key, PublicKey::from_openssh(ED).unwrap());
        assert!(got.presented.certificate.is_none());
        assert_eq!(forwarded, before);
        assert_eq!(got.held, after);
    }

    #[test]
    fn a_reply_whose_host_key_does_not_parse_is_refused_and_never_forwarded() {
        let mut before = b"SSH-2.0-OpenSSH_9.2\r\n".to_vec();
        before.extend(kexinit("curve25519-sha256"));
        // An RSA key with an exponent OpenSSH may read but we cannot.
        let mut blob = string(b"ssh-rsa");
        blob.extend(string(&[0, 1, 0, 1]));
        blob.extend(string(&[0; 3]));
        let mut reply = vec![31];
        reply.extend(string(&blob));
        reply.extend(string(b"ephemeral"));
        let mut input = before.clone();
        input.extend(packet(&reply));
        let mut forwarded = Vec::new();
        assert!(intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut curve()).is_err());
        assert_eq!(forwarded, before, "the reply never reached the client");

        // Under group exchange, message 31 is the group offer: it passes.
        let gex = "diffie-hellman-group-exchange-sha256";
        let mut input = server_hello(gex);
        let before = input.clone();
        let mut offer = vec![31];
        offer.extend(string(&[0x00, 0xff, 0xee]));
        offer.extend(string(&[2]));
        input.extend(packet(&offer));
        let mut forwarded = Vec::new();
        let err = intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut offering(gex));
        assert!(matches!(err, Err(Error::Closed)));
        assert!(forwarded.len() > before.len(), "the offer was forwarded");
    }

    /// A host certificate over `ED`, signed by a fresh CA.
    fn certificate() -> Certificate {
        use ssh_key::{PrivateKey, certificate::Builder, certificate::CertType};
        let mut rng = ssh_key::rand_core::OsRng;
        let ca = PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519).unwrap();
        let key = PublicKey::from_openssh(ED).unwrap();
        let mut builder =
            Builder::new_with_random_nonce(&mut rng, key.key_data().clone(), 0, i64::MAX as u64)
                .unwrap();
        builder.cert_type(CertType::Host).unwrap();
        builder.valid_principal("i-0123456789abcdef0").unwrap();
        builder.sign(&ca).unwrap()
    }

    fn reply_with(blob: &[u8]) -> Vec<u8> {
        let mut input = server_hello("curve25519-sha256");
        let mut reply = vec![31];
        reply.extend(string(blob));
        reply.extend(string(b"ephemeral"));
        reply.extend(signature());
        input.extend(packet(&reply));
        input
    }

    /// The signature string that ends a reply: a named blob.
    fn signature() -> Vec<u8> {
        let mut named = string(b"ssh-ed25519");
        named.extend(string(&[7; 64]));
        string(&named)
    }

    #[test]
    fn a_group_offer_dressed_as_a_reply_is_refused_not_passed_on() {
        let key = PublicKey::from_openssh(ED).unwrap();
        let gex = "diffie-hellman-group-exchange-sha256";
        // Group exchange agreed, and a "group" (31) shaped as a whole reply
        // over the instance's genuine key: a client reading it as the group
        // would ignore the rest and take the attacker's real reply (33)
        // unchecked. Under group exchange, 31 is two mpints or nothing.
        let mut disguised = vec![31];
        disguised.extend(string(&key.to_bytes().unwrap()));
        disguised.extend(string(b"ephemeral"));
        disguised.extend(signature());
        let mut input = server_hello(gex);
        let before = input.clone();
        input.extend(packet(&disguised));
        let mut forwarded = Vec::new();
        let err = intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut offering(gex))
            .unwrap_err();
        assert!(matches!(err, Error::Malformed(_)), "{err}");
        assert_eq!(
            forwarded, before,
            "the disguised group never reached the client"
        );

        // The same server, but the client preferred curve25519: then 31 is
        // the reply, and a GEX_GROUP-shaped one (no signature) is refused.
        let both = "curve25519-sha256,diffie-hellman-group-exchange-sha256";
        let mut offer = vec![31];
        offer.extend(string(&key.to_bytes().unwrap()));
        offer.extend(string(&[2]));
        let mut input = server_hello(both);
        let before = input.clone();
        input.extend(packet(&offer));
        let mut forwarded = Vec::new();
        let err = intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut offering(both))
            .unwrap_err();
        assert!(matches!(err, Error::Malformed(_)), "{err}");
        assert_eq!(forwarded, before, "the offer never reached the client");

        // Trailing bytes after a reply's signature are refused too.
        let mut tail = vec![31];
        tail.extend(string(&key.to_bytes().unwrap()));
        tail.extend(string(b"ephemeral"));
        tail.extend(signature());
        tail.extend(b"junk");
        let mut odd = server_hello("curve25519-sha256");
        odd.extend(packet(&tail));
        assert!(intercept_host_key(&mut odd.as_slice(), &mut Vec::new(), &mut curve()).is_err());
        let input = reply_with(&key.to_bytes().unwrap());
        assert!(intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).is_ok());
    }

    #[test]
    fn the_group_exchange_reply_is_held_in_message_33() {
        let key = PublicKey::from_openssh(ED).unwrap();
        let gex = "diffie-hellman-group-exchange-sha256";
        let mut input = server_hello(gex);
        let mut group = vec![31];
        group.extend(string(&[0x00, 0xff, 0xee]));
        group.extend(string(&[2]));
        input.extend(packet(&group));
        let before = input.clone();
        let mut reply = vec![33];
        reply.extend(string(&key.to_bytes().unwrap()));
        reply.extend(string(&[0x00, 0x12]));
        reply.extend(signature());
        let after = packet(&reply);
        input.extend(&after);
        let mut forwarded = Vec::new();
        // The client's first choice the server also offers decides.
        let got = intercept_host_key(
            &mut input.as_slice(),
            &mut forwarded,
            &mut offering(
                "sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256",
            ),
        )
        .unwrap();
        assert_eq!(got.presented.key, key);
        assert_eq!(forwarded, before);
        assert_eq!(got.held, after);
    }

    #[test]
    fn methods_whose_host_key_travels_elsewhere_are_refused() {
        // RSA key exchange (RFC 4432): the key is in message 30, the
        // signature in 32; nothing of it may pass unverified.
        let rsa = "rsa2048-sha256";
        let key = PublicKey::from_openssh(ED).unwrap();
        let mut pubkey = vec![30];
        pubkey.extend(string(&key.to_bytes().unwrap()));
        pubkey.extend(string(b"transient rsa key"));
        let mut input = server_hello(rsa);
        let before = input.clone();
        input.extend(packet(&pubkey));
        let mut forwarded = Vec::new();
        let err = intercept_host_key(&mut input.as_slice(), &mut forwarded, &mut offering(rsa))
            .unwrap_err();
        assert!(matches!(&err, Error::Unsupported(m) if m == rsa), "{err}");
        assert_eq!(forwarded, before);
        // A message no key exchange sends before its reply (NEWKEYS, a
        // channel message) is refused, and so is a flood of IGNOREs.
        for early in [vec![21], vec![94, 0, 0, 0, 0]] {
            let mut input = server_hello("curve25519-sha256");
            input.extend(packet(&early));
            let err = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve());
            assert!(matches!(err, Err(Error::Malformed(_))), "{early:?}");
        }
        let mut input = server_hello("curve25519-sha256");
        for _ in 0..100 {
            input.extend(packet(&[2, 0, 0, 0, 0]));
        }
        let err = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve());
        assert!(matches!(err, Err(Error::Malformed(_))));
        // No method in common, or a key-exchange message before KEXINIT.
        let mut input = server_hello("curve25519-sha256");
        input.extend(
            reply_with(&key.to_bytes().unwrap())[server_hello("curve25519-sha256").len()..]
                .to_vec(),
        );
        let err = intercept_host_key(
            &mut input.as_slice(),
            &mut Vec::new(),
            &mut offering("ecdh-sha2-nistp256"),
        );
        assert!(matches!(err, Err(Error::Malformed(_))));
        let mut input = b"SSH-2.0-x\r\n".to_vec();
        input.extend(
            reply_with(&key.to_bytes().unwrap())[server_hello("curve25519-sha256").len()..]
                .to_vec(),
        );
        let err = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve());
        assert!(matches!(err, Err(Error::Malformed(_))));
    }

    #[test]
    fn the_clients_offer_is_read_as_it_passes() {
        let mut client = b"SSH-2.0-paramiko_3.5.1\r\n".to_vec();
        client.extend(kexinit("curve25519-sha256,diffie-hellman-group16-sha512"));
        client.extend(packet(&[30, 0, 0, 0, 1, 7]));
        let mut server = Vec::new();
        let (methods, forwarded) =
            read_client_offer(&mut Trickle(client.clone(), 0), &mut server).unwrap();
        assert_eq!(
            methods,
            ["curve25519-sha256", "diffie-hellman-group16-sha512"]
        );
        assert_eq!(server, client[..forwarded]);
        for bad in [
            &b"GET / HTTP/1.1\r\n\r\n"[..],
            b"SSH-2.0-x\r\n\x00\x00\x00\x0c\x0a\x1e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert!(read_client_offer(&mut &bad[..], &mut Vec::new()).is_err());
        }
    }

    #[test]
    fn a_certificate_presents_its_own_key_and_is_described() {
        let cert = certificate();
        let input = reply_with(&cert.to_bytes().unwrap());
        let got = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).unwrap();
        assert_eq!(got.presented.key, PublicKey::from_openssh(ED).unwrap());
        assert_eq!(got.presented.certificate.as_ref(), Some(&cert));
        let said = got.presented.describe();
        assert!(
            said.starts_with("certificate ssh-ed25519-cert-v01@openssh.com over SHA256:"),
            "{said}"
        );
        assert!(said.contains("principals i-0123456789abcdef0"), "{said}");
        assert!(said.contains("to forever"), "{said}");
    }

    /// The fuzz target's certificate cases, bounded, in every test run:
    /// thousands of mutations (bytes changed, cut, or grown) of a valid
    /// certificate reply never panic, and whatever still parses is judged
    /// by the key inside it.
    #[test]
    fn mutated_certificates_never_panic_and_are_judged_by_their_key() {
        let blob = certificate().to_bytes().unwrap();
        // xorshift64: deterministic, so a failure reproduces.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut mutated = blob.clone();
            for _ in 0..=next() % 3 {
                let at = usize::try_from(next()).unwrap_or(0) % mutated.len();
                match next() % 3 {
                    0 => mutated[at] = next() as u8,
                    1 => mutated.truncate(at.max(1)),
                    _ => {
                        let grown = usize::try_from(next() % 300).unwrap_or(0);
                        let byte = next() as u8;
                        mutated.splice(at..at, std::iter::repeat_n(byte, grown));
                    }
                }
            }
            let input = reply_with(&mutated);
            if let Ok(found) =
                intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve())
            {
                if let Some(cert) = &found.presented.certificate {
                    assert_eq!(found.presented.key.key_data(), cert.public_key());
                }
                let _ = found.presented.describe();
            }
        }
    }

    #[test]
    fn any_validity_a_server_claims_can_be_shown() {
        assert_eq!(unix_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(unix_time(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(unix_time(253_402_300_800), "after 9999");
        assert_eq!(unix_time(u64::MAX), "forever");
    }

    #[test]
    fn an_oversized_and_a_nested_certificate_are_handled() {
        use ssh_key::{PrivateKey, certificate::Builder, certificate::CertType};
        let mut rng = ssh_key::rand_core::OsRng;
        let ca = PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519).unwrap();
        let key = PublicKey::from_openssh(ED).unwrap();
        let mut builder =
            Builder::new_with_random_nonce(&mut rng, key.key_data().clone(), 0, 1 << 40).unwrap();
        builder.cert_type(CertType::Host).unwrap();
        builder.key_id("x".repeat(70_000)).unwrap();
        builder.valid_principal("i-0123456789abcdef0").unwrap();
        let big = builder.sign(&ca).unwrap();
        let input = reply_with(&big.to_bytes().unwrap());
        let found =
            intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).unwrap();
        assert_eq!(found.presented.key, key);
        // A certificate blob where its signing key's blob belongs: refused or
        // judged by its own key, never by the one nested in it.
        let blob = certificate().to_bytes().unwrap();
        let mut nested = blob.clone();
        nested.extend(string(&blob));
        let input = reply_with(&nested);
        if let Ok(found) = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve())
        {
            assert_eq!(found.presented.key, key);
        }
    }

    #[test]
    fn broken_and_security_key_certificates_are_refused() {
        let blob = certificate().to_bytes().unwrap();
        for cut in [20, blob.len() / 2, blob.len() - 1] {
            let input = reply_with(&blob[..cut]);
            assert!(
                intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).is_err(),
                "cut at {cut}"
            );
        }
        let mut sk = string(b"sk-ssh-ed25519-cert-v01@openssh.com");
        sk.extend_from_slice(&blob[4 + "ssh-ed25519-cert-v01@openssh.com".len()..]);
        let input = reply_with(&sk);
        assert!(intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).is_err());
    }

    #[test]
    fn works_when_bytes_arrive_one_at_a_time() {
        let (before, after) = stream();
        let mut all = before.clone();
        all.extend(&after);
        let mut forwarded = Vec::new();
        let got = intercept_host_key(&mut Trickle(all, 0), &mut forwarded, &mut curve()).unwrap();
        assert_eq!(forwarded, before);
        assert_eq!(got.presented.key, PublicKey::from_openssh(ED).unwrap());
    }

    #[test]
    fn gex_group_message_is_not_mistaken_for_a_key() {
        let gex = "diffie-hellman-group-exchange-sha1";
        let mut input = server_hello(gex);
        let mut group = vec![31];
        group.extend(string(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x12]));
        group.extend(string(&[5]));
        input.extend(packet(&group));
        let err = intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut offering(gex))
            .unwrap_err();
        assert!(matches!(err, Error::Closed));
    }

    #[test]
    fn not_ssh_is_reported() {
        let input = b"HTTP/1.1 400 Bad Request\r\n\r\n".repeat(5000);
        let err =
            intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).unwrap_err();
        assert!(matches!(err, Error::NotSsh));
    }

    #[test]
    fn oversized_packet_is_refused() {
        let mut input = b"SSH-2.0-x\r\n".to_vec();
        input.extend(u32::MAX.to_be_bytes());
        input.push(4);
        let err =
            intercept_host_key(&mut input.as_slice(), &mut Vec::new(), &mut curve()).unwrap_err();
        assert!(matches!(err, Error::Malformed(_)));
    }
}
