//! ec2-hostkey: verified SSH host keys for AWS EC2 instances.
//!
//! The binary (`src/main.rs`) is the product; this library exposes its
//! modules so the parsers can be fuzzed (`contrib/fuzz`). The layers, top to
//! bottom (ARCHITECTURE.md); each imports only the layers below it:
//!
//! - [`cmd`]: one module per subcommand, and the settings step;
//! - [`trust`]: which keys belong to an instance (SECURITY.md, the trust rules);
//! - [`store`]: the files the tool owns (known_hosts, cache, seed store);
//! - [`aws`], [`net`]: the edges (EC2, S3, Systems Manager; DNS, SSH wire, data path, OpenSSH);
//! - [`error`], [`text`]: the errors that decide exit codes, and what reaches the terminal.
//!
//! [`cli`] is clap's definition of the command line; only `cmd` reads it.

#![forbid(unsafe_code)]

pub mod aws;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod net;
pub mod store;
pub mod text;
pub mod trust;
