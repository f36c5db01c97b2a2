//! The settings step: clap's structs ([`crate::cli`]) turned, once, into the
//! plain settings the layers below take. Nothing below `cmd` sees clap.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{self, AddressArg, SourceArg};
use crate::store::cache::{self, Cache};
use crate::store::files::known_hosts_path;
use crate::trust::policy::{Lookup, SourceKind, Sources};
use crate::trust::resolve::{self, AddressMode};
use crate::{aws, net};

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
    pub fn lookup<'a>(&'a self, sources: &'a Sources) -> Lookup<'a> {
        Lookup {
            aws: &self.aws,
            resolve: self.resolve,
            sources,
            quiet: self.quiet,
        }
    }

    /// The sources `--source` and `--ssm-document` ask for.
    pub fn sources(&self, args: &cli::SourceArgs) -> Sources {
        Sources {
            only: match args.source {
                SourceArg::Auto => None,
                SourceArg::Seed => Some(SourceKind::Seed),
                SourceArg::Console => Some(SourceKind::Console),
                SourceArg::Ssm => Some(SourceKind::Ssm),
            },
            ssm_document: args.ssm_document.clone(),
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
