//! The commands: one module per subcommand, the dispatch, and the settings
//! step — the one place where clap's structs ([`crate::cli`]) become the
//! plain settings the layers below take ([`Settings`]).
//!
//! A command reads its flags, asks `trust` which keys belong to the
//! instance, writes through `store`, and prints its result on stdout and its
//! messages on stderr (`crate::text`). Commands never import each other;
//! what two commands share lives in a lower layer or here.
//!
//! May import: every layer below (`trust`, `store`, `aws`, `net`, `error`,
//! `text`) and `cli`.

pub mod completions;
pub mod doctor;
pub mod fetch;
pub mod forget;
pub mod known_hosts;
pub mod proxy;
pub mod repair;
pub mod seed;
pub mod ssh_config;
pub mod sync;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{self, AddressArg, Command};
use crate::store::cache::{self, Cache};
use crate::store::files::known_hosts_path;
use crate::trust::policy::Lookup;
use crate::trust::resolve::{self, AddressMode};
use crate::{aws, net};

/// Runs the parsed command line.
///
/// # Errors
/// The command failed; [`crate::error::exit_code`] maps the error to the exit code.
pub fn run(cli: &cli::Cli) -> Result<()> {
    let settings = Settings::from_cli(&cli.global);
    match &cli.command {
        Command::Proxy(args) => proxy::run(&settings, args),
        Command::KnownHosts(args) => known_hosts::run(&settings, args),
        Command::Fetch(args) => fetch::run(&settings, args),
        Command::Repair(args) => repair::run(&settings, args),
        Command::Forget(args) => forget::run(&settings, args),
        Command::Seed(args) => seed::run(&settings, args),
        Command::Sync(args) => sync::run(&settings, args),
        Command::SshConfig(args) => ssh_config::run(&cli.global, args),
        Command::Doctor(args) => doctor::run(&settings, args),
        Command::Completions { shell } => completions::run(*shell),
    }
}

/// The global flags, as the layers below take them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub aws: aws::Config,
    pub resolve: resolve::Options,
    /// `--quiet`: messages off (results and errors still print).
    pub quiet: bool,
    pub verbose: u8,
}

impl Settings {
    pub fn from_cli(global: &cli::Global) -> Settings {
        Settings {
            aws: aws::Config {
                regions: global.region.clone(),
                profile: global.profile.clone(),
            },
            resolve: resolve::Options {
                address: match global.address {
                    AddressArg::Auto => AddressMode::Auto,
                    AddressArg::Public => AddressMode::Public,
                    AddressArg::Private => AddressMode::Private,
                },
                nameserver: global.nameserver,
            },
            quiet: global.quiet,
            verbose: global.verbose,
        }
    }

    /// What a lookup through the trust policy needs.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            aws: &self.aws,
            resolve: self.resolve,
            quiet: self.quiet,
        }
    }

    /// The verified-key cache as `--no-cache` / `--cache-ttl` ask, its name
    /// records scoped to the AWS settings in use.
    pub fn cache(&self, args: &cli::CacheArgs) -> Option<Cache> {
        if args.no_cache {
            return None;
        }
        Cache::open(args.cache_ttl, cache::scope(&self.aws))
    }

    /// The known_hosts file a command writes (`--known-hosts`, `--hash`).
    ///
    /// # Errors
    /// No home directory, or `~/.ssh` cannot be created.
    pub fn known_hosts(&self, args: &cli::KnownHostsArgs) -> Result<KnownHostsFile> {
        Ok(KnownHostsFile {
            path: known_hosts_path(args.known_hosts.as_deref())?,
            always_hash: args.hash,
        })
    }
}

/// The known_hosts file a command writes, and whether new entries are hashed.
#[derive(Debug, Clone)]
pub struct KnownHostsFile {
    pub path: PathBuf,
    always_hash: bool,
}

impl KnownHostsFile {
    /// Whether new entries for `host` are hashed even if the file's own
    /// habit would not say so (`store::known_hosts` also hashes when the file
    /// is mostly hashed or the replaced entries were): `--hash`, or ssh's
    /// `HashKnownHosts` for that host.
    pub fn hash_for(&self, host: &str) -> bool {
        self.always_hash || net::openssh::hashes_known_hosts(host)
    }

    /// `--hash` alone (commands that edit lines of many hosts at once).
    pub fn always_hash(&self) -> bool {
        self.always_hash
    }
}
