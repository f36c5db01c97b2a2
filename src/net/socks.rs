//! The front door of `serve`: a client's SOCKS5 (RFC 1928, CONNECT; no
//! authentication, or a user name and password by RFC 1929) or HTTP
//! CONNECT (with `Proxy-Authorization: Basic` when users are configured)
//! request, told apart by its first byte, read with bounds, and the replies
//! each protocol expects. Only who the client is and where it goes are read
//! here; whether it may go there is decided above.

use std::io::{self, Read, Write};

use base64::Engine;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The most an HTTP CONNECT request's head may hold.
const MAX_HTTP_HEAD: usize = 8 * 1024;

/// What a client asked to reach, and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// A host name or an address, as the client gave it.
    pub host: String,
    pub port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Socks5,
    HttpConnect,
}

/// Why a request is refused, in the terms both protocols have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A port or destination this proxy does not carry.
    NotAllowed,
    /// The destination could not be verified or reached.
    Failed,
}

impl Protocol {
    /// The reply that tells the client the destination is reached.
    pub fn success(self) -> Vec<u8> {
        match self {
            // Bound address 0.0.0.0:0: clients of a CONNECT do not use it.
            Protocol::Socks5 => vec![5, 0, 0, 1, 0, 0, 0, 0, 0, 0],
            Protocol::HttpConnect => b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
        }
    }

    /// The reply that refuses the request.
    pub fn refusal(self, why: Refusal) -> Vec<u8> {
        match (self, why) {
            (Protocol::Socks5, Refusal::NotAllowed) => vec![5, 2, 0, 1, 0, 0, 0, 0, 0, 0],
            (Protocol::Socks5, Refusal::Failed) => vec![5, 1, 0, 1, 0, 0, 0, 0, 0, 0],
            (Protocol::HttpConnect, Refusal::NotAllowed) => {
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec()
            }
            (Protocol::HttpConnect, Refusal::Failed) => {
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".to_vec()
            }
        }
    }
}

/// Who may use the proxy: user names and passwords, from a file of
/// `user:password` lines (`#` comments and blank lines allowed).
pub struct Users(Vec<(String, Zeroizing<String>)>);

/// Names the users, never their passwords.
impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(user, _)| user))
            .finish()
    }
}

impl Users {
    /// # Errors
    /// A line that is not `user:password` with both parts non-empty (the
    /// error names the line, never its text: it holds a password).
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((user, password))
                    if !user.is_empty()
                        && !password.is_empty()
                        && user.len() <= 255
                        && password.len() <= 255 =>
                {
                    users.push((user.to_string(), Zeroizing::new(password.to_string())));
                }
                _ => {
                    return Err(format!(
                        "line {} is not user:password (each 1 to 255 bytes)",
                        number + 1
                    ));
                }
            }
        }
        if users.is_empty() {
            return Err("it names no user".into());
        }
        Ok(Users(users))
    }

    /// Whether `user` with `password` may use the proxy. Every entry is
    /// compared, by digest, so the time taken tells nothing of how close a
    /// guess came.
    fn allow(&self, user: &[u8], password: &[u8]) -> bool {
        let given = digest(user, password);
        self.0.iter().fold(false, |found, (u, p)| {
            let differs = digest(u.as_bytes(), p.as_bytes())
                .iter()
                .zip(given.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            found | (differs == 0)
        })
    }
}

fn digest(user: &[u8], password: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update((user.len() as u64).to_be_bytes());
    hash.update(user);
    hash.update(password);
    hash.finalize().into()
}

/// Reads a client's request: SOCKS5 if its first byte is 5, else HTTP
/// CONNECT. With `users`, the client must authenticate (RFC 1929, or
/// `Proxy-Authorization: Basic`). A SOCKS client is told the method (or
/// that none of its methods is offered), a failed authentication is
/// answered as each protocol expects, and a command other than CONNECT is
/// refused, all here, since only this layer speaks the protocols.
///
/// # Errors
/// The client hung up, timed out, spoke neither protocol
/// (`InvalidData`), or did not authenticate (`PermissionDenied`).
pub fn read_request(
    stream: &mut (impl Read + Write),
    users: Option<&Users>,
) -> io::Result<Request> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first)?;
    if first[0] == 5 {
        socks5(stream, users)
    } else {
        http_connect(stream, first[0], users)
    }
}

fn socks5(stream: &mut (impl Read + Write), users: Option<&Users>) -> io::Result<Request> {
    let methods = read_counted(stream)?;
    let Some(users) = users else {
        if !methods.contains(&0) {
            stream.write_all(&[5, 0xff])?;
            return Err(invalid(
                "the SOCKS client offers no method without authentication",
            ));
        }
        stream.write_all(&[5, 0])?;
        return socks5_connect(stream);
    };
    if !methods.contains(&2) {
        stream.write_all(&[5, 0xff])?;
        return Err(denied(
            "the SOCKS client offers no user name and password, which this proxy requires",
        ));
    }
    stream.write_all(&[5, 2])?;
    // RFC 1929: version 1, the user name and the password, each counted.
    let mut version = [0u8; 1];
    stream.read_exact(&mut version)?;
    if version[0] != 1 {
        return Err(invalid("a SOCKS authentication of an unknown version"));
    }
    let user = read_counted(stream)?;
    let password = Zeroizing::new(read_counted(stream)?);
    if !users.allow(&user, &password) {
        stream.write_all(&[1, 1])?;
        // Not even the user name: a password typed into it would be logged.
        return Err(denied("wrong user name or password"));
    }
    stream.write_all(&[1, 0])?;
    socks5_connect(stream)
}

fn socks5_connect(stream: &mut (impl Read + Write)) -> io::Result<Request> {
    let mut head = [0u8; 4];
    stream.read_exact(&mut head)?;
    let [version, command, _, address_type] = head;
    if version != 5 {
        return Err(invalid("not a SOCKS5 request"));
    }
    let host = match address_type {
        1 => {
            let mut ip = [0u8; 4];
            stream.read_exact(&mut ip)?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => checked_host(
            &String::from_utf8(read_counted(stream)?)
                .map_err(|_| invalid("a SOCKS host name that is not UTF-8"))?,
        )?,
        4 => {
            let mut ip = [0u8; 16];
            stream.read_exact(&mut ip)?;
            std::net::Ipv6Addr::from(ip).to_string()
        }
        _ => {
            stream.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0])?;
            return Err(invalid("an unknown SOCKS address type"));
        }
    };
    let mut port = [0u8; 2];
    stream.read_exact(&mut port)?;
    if command != 1 {
        stream.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0])?;
        return Err(invalid("a SOCKS command other than CONNECT"));
    }
    Ok(Request {
        host,
        port: u16::from_be_bytes(port),
        protocol: Protocol::Socks5,
    })
}

/// `CONNECT host:port HTTP/1.x`, headers, a blank line; nothing after it
/// is read (the client speaks SSH only once told the tunnel is up).
fn http_connect(
    stream: &mut (impl Read + Write),
    first: u8,
    users: Option<&Users>,
) -> io::Result<Request> {
    let mut head = vec![first];
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HTTP_HEAD {
            return Err(invalid("an HTTP request head over 8 KiB"));
        }
        stream.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let text =
        std::str::from_utf8(&head).map_err(|_| invalid("an HTTP request that is not UTF-8"))?;
    let line = text.lines().next().unwrap_or_default();
    let mut words = line.split_whitespace();
    let (Some("CONNECT"), Some(authority), Some(version)) =
        (words.next(), words.next(), words.next())
    else {
        return Err(invalid("neither SOCKS5 nor an HTTP CONNECT request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("an HTTP version other than 1.x"));
    }
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| invalid("a CONNECT target without a port"))?;
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => v6.to_string(),
        Some(_) => return Err(invalid("a bracketed CONNECT host that is no IPv6 address")),
        None => checked_host(host)?,
    };
    let port = port
        .parse()
        .map_err(|_| invalid("a CONNECT target whose port is not a number"))?;
    if let Some(users) = users {
        let credentials = text.lines().skip(1).find_map(|header| {
            let (name, value) = header.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim().to_string())
        });
        if let Err(why) = basic_auth(users, credentials.as_deref()) {
            stream.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"ec2-hostkey\"\r\nContent-Length: 0\r\n\r\n",
            )?;
            return Err(denied(&why));
        }
    }
    Ok(Request {
        host,
        port,
        protocol: Protocol::HttpConnect,
    })
}

/// A destination host as a client named it: an instance id, Name tag, DNS
/// name or address. Control characters are refused (they would reach the
/// log and the cache), and so are `[`, `]` and `:` outside an IPv6 address
/// (`[web-1]:2222` is how a name and a port are written together, so a
/// host spelled so could stand for another port's records).
fn checked_host(host: &str) -> io::Result<String> {
    if host.is_empty() || host.chars().any(char::is_control) {
        return Err(invalid("an empty host, or one with control characters"));
    }
    let v6 = host.parse::<std::net::Ipv6Addr>().is_ok();
    if !v6 && host.contains(['[', ']', ':']) {
        return Err(invalid("a host with [, ] or : that is no IPv6 address"));
    }
    Ok(host.to_string())
}

/// Checks `Proxy-Authorization: Basic base64(user:password)`.
fn basic_auth(users: &Users, credentials: Option<&str>) -> Result<(), String> {
    let Some(credentials) = credentials else {
        return Err("no Proxy-Authorization, which this proxy requires".into());
    };
    let encoded = credentials
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim())
        .ok_or("a Proxy-Authorization other than Basic")?;
    let decoded = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "a Proxy-Authorization that is not base64")?,
    );
    let at = decoded
        .iter()
        .position(|&b| b == b':')
        .ok_or("a Proxy-Authorization without user:password")?;
    let (user, password) = (&decoded[..at], &decoded[at + 1..]);
    if users.allow(user, password) {
        Ok(())
    } else {
        Err("wrong user name or password".into())
    }
}

/// A length byte and that many bytes.
fn read_counted(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut count = [0u8; 1];
    stream.read_exact(&mut count)?;
    let mut bytes = vec![0u8; usize::from(count[0])];
    stream.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn denied(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's bytes in, the proxy's replies out.
    struct Conversation {
        input: io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Conversation {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Conversation {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn talk(bytes: &[u8]) -> (io::Result<Request>, Vec<u8>) {
        let mut c = Conversation {
            input: io::Cursor::new(bytes.to_vec()),
            output: Vec::new(),
        };
        (read_request(&mut c, None), c.output)
    }

    #[test]
    fn socks5_connect_to_a_name_an_ipv4_and_an_ipv6_address() {
        let mut name = vec![5, 1, 0, 5, 1, 0, 3, 19];
        name.extend(b"i-0123456789abcdef0");
        name.extend(22u16.to_be_bytes());
        let (request, replies) = talk(&name);
        assert_eq!(request.unwrap().host, "i-0123456789abcdef0");
        assert_eq!(replies, [5, 0]);
        let (request, _) = talk(&[5, 2, 2, 0, 5, 1, 0, 1, 10, 0, 0, 7, 0, 22]);
        assert_eq!(request.unwrap().host, "10.0.0.7");
        let mut v6 = vec![5, 1, 0, 5, 1, 0, 4];
        v6.extend(std::net::Ipv6Addr::LOCALHOST.octets());
        v6.extend(2222u16.to_be_bytes());
        let request = talk(&v6).0.unwrap();
        assert_eq!((request.host.as_str(), request.port), ("::1", 2222));
    }

    #[test]
    fn socks5_refuses_authentication_only_clients_and_other_commands() {
        let (request, replies) = talk(&[5, 1, 2]);
        assert!(request.is_err());
        assert_eq!(replies, [5, 0xff]);
        // BIND (2) to 10.0.0.7:22.
        let (request, replies) = talk(&[5, 1, 0, 5, 2, 0, 1, 10, 0, 0, 7, 0, 22]);
        assert!(request.is_err());
        assert_eq!(&replies[2..4], [5, 7]);
    }

    #[test]
    fn http_connect_with_headers_and_an_ipv6_authority() {
        let (request, replies) =
            talk(b"CONNECT web-1:22 HTTP/1.1\r\nHost: web-1:22\r\nProxy-Connection: keep-alive\r\n\r\nSSH-2.0-x");
        let request = request.unwrap();
        assert_eq!((request.host.as_str(), request.port), ("web-1", 22));
        assert_eq!(request.protocol, Protocol::HttpConnect);
        assert!(replies.is_empty());
        let request = talk(b"CONNECT [::1]:22 HTTP/1.0\r\n\r\n").0.unwrap();
        assert_eq!(request.host, "::1");
        for bad in [
            &b"GET / HTTP/1.1\r\n\r\n"[..],
            b"CONNECT web-1 HTTP/1.1\r\n\r\n",
            b"CONNECT web-1:ssh HTTP/1.1\r\n\r\n",
        ] {
            assert!(talk(bad).0.is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let endless = [b"CONNECT web-1:22 HTTP/1.1\r\n".to_vec(), vec![b'x'; 9000]].concat();
        assert!(talk(&endless).0.is_err());
    }

    fn talk_as(bytes: &[u8], users: &Users) -> (io::Result<Request>, Vec<u8>) {
        let mut c = Conversation {
            input: io::Cursor::new(bytes.to_vec()),
            output: Vec::new(),
        };
        (read_request(&mut c, Some(users)), c.output)
    }

    fn socks_login(user: &[u8], password: &[u8]) -> Vec<u8> {
        let mut bytes = vec![5, 2, 0, 2, 1, user.len() as u8];
        bytes.extend(user);
        bytes.push(password.len() as u8);
        bytes.extend(password);
        bytes.extend([5, 1, 0, 1, 10, 0, 0, 7, 0, 22]);
        bytes
    }

    #[test]
    fn with_users_socks5_and_http_connect_must_authenticate() {
        let users = Users::parse("# team\nalice:s3cret\n\nbob:hunter2:x\n").unwrap();
        let (request, replies) = talk_as(&socks_login(b"alice", b"s3cret"), &users);
        assert_eq!(request.unwrap().host, "10.0.0.7");
        assert_eq!(replies, [5, 2, 1, 0]);
        // A password may hold a colon; the user name is up to the first.
        assert!(
            talk_as(&socks_login(b"bob", b"hunter2:x"), &users)
                .0
                .is_ok()
        );
        let (request, replies) = talk_as(&socks_login(b"alice", b"wrong"), &users);
        assert_eq!(request.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(replies, [5, 2, 1, 1]);
        // A client that offers only "no authentication" is turned away.
        let (request, replies) = talk_as(&[5, 1, 0], &users);
        assert_eq!(request.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(replies, [5, 0xff]);

        let basic = |credentials: &str| {
            format!(
                "CONNECT web-1:22 HTTP/1.1\r\nproxy-authorization: Basic {}\r\n\r\n",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        };
        assert!(talk_as(basic("alice:s3cret").as_bytes(), &users).0.is_ok());
        for refused in [
            basic("alice:guess"),
            basic("mallory:s3cret"),
            "CONNECT web-1:22 HTTP/1.1\r\n\r\n".to_string(),
            "CONNECT web-1:22 HTTP/1.1\r\nProxy-Authorization: Bearer x\r\n\r\n".to_string(),
        ] {
            let (request, replies) = talk_as(refused.as_bytes(), &users);
            assert_eq!(
                request.unwrap_err().kind(),
                io::ErrorKind::PermissionDenied,
                "{refused}"
            );
            assert!(replies.starts_with(b"HTTP/1.1 407 "), "{refused}");
        }
    }

    #[test]
    fn hosts_that_could_stand_for_other_records_or_reach_the_log_raw_are_refused() {
        let socks = |host: &[u8]| {
            let mut bytes = vec![5, 1, 0, 5, 1, 0, 3, host.len() as u8];
            bytes.extend(host);
            bytes.extend(22u16.to_be_bytes());
            talk(&bytes).0
        };
        assert_eq!(socks(b"web server").unwrap().host, "web server");
        assert_eq!(socks(b"fe80::1").unwrap().host, "fe80::1");
        for bad in [
            &b"[web-1]:2222"[..],
            b"web-1:2222",
            b"web\n-> i-0: verified",
            b"\x1b[2J",
            b"",
        ] {
            assert!(socks(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let http =
            |authority: &str| talk(format!("CONNECT {authority} HTTP/1.1\r\n\r\n").as_bytes()).0;
        assert_eq!(http("[fe80::1]:22").unwrap().host, "fe80::1");
        for bad in ["[web-1]:22", "web-1]:22", "a:b:22", "\x1b[2J:22"] {
            assert!(http(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_users_file_names_its_bad_line_but_never_its_text() {
        let err = Users::parse("alice:s3cret\nbob\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("bob"));
        assert!(Users::parse("# nobody\n").is_err());
        assert!(Users::parse(":nopassword\n").is_err());
    }
}
