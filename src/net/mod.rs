//! The network and OpenSSH edge: DNS lookups ([`dns`]), reading the host key
//! out of a relayed SSH key exchange and probing a server for its keys
//! ([`kex`]), carrying the connection after verification ([`pipe`]), and
//! asking the local OpenSSH client about itself ([`openssh`]: `ssh -G`, `ssh -V`),
//! the EC2 Instance Connect Endpoint's websocket tunnel ([`tunnel`]), and
//! the SOCKS5 / HTTP CONNECT front door of `serve` ([`socks`]).
//!
//! May import: `error`, `text`.

pub mod dns;
pub mod kex;
pub mod openssh;
pub mod pipe;
pub mod socks;
pub mod tunnel;
