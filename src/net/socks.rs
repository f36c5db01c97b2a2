//! The front door of `serve`: a client's SOCKS5 (RFC 1928, CONNECT, no
//! authentication) or HTTP CONNECT request, told apart by its first byte,
//! read with bounds, and the replies each protocol expects. Only the
//! destination is read here; whether it may be reached is decided above.

use std::io::{self, Read, Write};

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

/// Reads a client's request: SOCKS5 if its first byte is 5, else HTTP
/// CONNECT. A SOCKS client is told "no authentication" (or that none of its
/// methods is offered) and a command other than CONNECT is refused, both
/// here, since only this layer speaks the protocol.
///
/// # Errors
/// The client hung up, timed out, or spoke neither protocol.
pub fn read_request(stream: &mut (impl Read + Write)) -> io::Result<Request> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first)?;
    if first[0] == 5 {
        socks5(stream)
    } else {
        http_connect(stream, first[0])
    }
}

fn socks5(stream: &mut (impl Read + Write)) -> io::Result<Request> {
    let methods = read_counted(stream)?;
    if !methods.contains(&0) {
        stream.write_all(&[5, 0xff])?;
        return Err(invalid(
            "the SOCKS client offers no method without authentication",
        ));
    }
    stream.write_all(&[5, 0])?;
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
        3 => String::from_utf8(read_counted(stream)?)
            .map_err(|_| invalid("a SOCKS host name that is not UTF-8"))?,
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
fn http_connect(stream: &mut impl Read, first: u8) -> io::Result<Request> {
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
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = port
        .parse()
        .map_err(|_| invalid("a CONNECT target whose port is not a number"))?;
    Ok(Request {
        host: host.to_string(),
        port,
        protocol: Protocol::HttpConnect,
    })
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
        (read_request(&mut c), c.output)
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
}
