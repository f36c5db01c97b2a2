//! The settings step: clap's structs ([`crate::cli`]) turned, once, into the
//! plain settings the layers below take. Nothing below `cmd` sees clap.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::config::FileConfig;
use crate::aws;
use crate::cli::{self, AddressArg, OnNameMoveArg, SourceArg};
use crate::net::pipe::Client;
use crate::store::cache::{self, Cache};
use crate::store::files::known_hosts_path;
pub use crate::store::known_hosts::KnownHostsFile;
use crate::store::known_hosts::lookup_name;
use crate::store::team::StoreUrl;
use crate::trust::connection::{Connection, EiceTunnel};
use crate::trust::names;
use crate::trust::policy::{Lookup, SourceKind, Sources};
use crate::trust::resolve::Target;
use crate::trust::resolve::{self, AddressMode};

/// The global flags, as the layers below take them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The base AWS settings: the profile's own account, which also reaches
    /// the team store and the seeds' bucket.
    pub aws: aws::Config,
    /// The accounts instances are looked up in: the config file's
    /// `[[accounts]]` (narrowed by `--account`), else the base account alone.
    pub accounts: Vec<aws::Config>,
    pub resolve: resolve::Options,
    /// `--quiet`: messages off (results and errors still print).
    pub quiet: bool,
    pub verbose: u8,
    /// The team store (`--store`, else the file's).
    pub store: Option<StoreUrl>,
    /// `--on-name-move`, else the file's, else warn.
    pub on_name_move: names::OnNameMove,
    /// The config file's defaults, for the per-command flags.
    pub file: FileConfig,
}

/// `AWS_CA_BUNDLE`, checked: every certificate in it is trusted for the AWS
/// API (whose answers vouch for host keys) and the tunnel, so it must be
/// the user's or root's and writable by no one else.
fn ca_bundle() -> Result<Option<aws::CaBundle>> {
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    crate::store::files::read_trusted(&path)
        .and_then(aws::CaBundle::parse)
        .map(Some)
        .map_err(|problem| {
            crate::error::ConfigError::Flag {
                flag: "AWS_CA_BUNDLE",
                problem: format!("{}: {problem}", path.display()),
                fix: "every certificate in it is trusted for the AWS API and tunnels; point it at a PEM bundle that is yours or root's and writable by no one else, or unset it",
            }
            .into()
        })
}

/// How long a name's record is used without asking AWS, unless told.
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(3600);

impl Settings {
    /// The global flags over the config file over the defaults.
    ///
    /// # Errors
    /// The config file cannot be used.
    pub fn from_cli(global: &cli::Global) -> Result<Settings> {
        let file = FileConfig::load()?;
        let store =
            match &global.store {
                Some(url) => Some(StoreUrl::parse(url).map_err(|problem| {
                    crate::error::ConfigError::Flag {
                        flag: "--store",
                        problem,
                        fix: "give it as s3://BUCKET/PREFIX (see --help)",
                    }
                })?),
                None => file.store.clone(),
            };
        let owner = global.store_owner.clone().or(file.store_owner.clone());
        let mut settings = Settings::merge(global, file);
        settings.store = store.map(|url| StoreUrl {
            owner: owner.clone(),
            ..url
        });
        settings.aws.bucket_owner = owner;
        settings.aws.ca_bundle = ca_bundle()?;
        settings.accounts =
            settings.accounts(global.account.as_deref(), !global.region.is_empty())?;
        Ok(settings)
    }

    /// The configured accounts left out (by `--account`, or `search =
    /// false`), as `name (id)`: nothing was asked of them, so nothing may
    /// be concluded about their instances.
    pub fn left_out_accounts(&self) -> Vec<String> {
        self.file
            .accounts
            .iter()
            .map(|e| e.account.label())
            .filter(|label| {
                !self
                    .accounts
                    .iter()
                    .any(|a| a.account_label().as_deref() == Some(label))
            })
            .collect()
    }

    /// Each configured account's settings (its profile and regions, else
    /// the base ones; `--region`, when given, for every account), narrowed
    /// to `wanted`; the base account alone when none is configured.
    ///
    /// # Errors
    /// `--account` names no configured account.
    fn accounts(&self, wanted: Option<&str>, region_flag: bool) -> Result<Vec<aws::Config>> {
        use crate::error::ConfigError;
        let entries = &self.file.accounts;
        if entries.is_empty() {
            if let Some(wanted) = wanted {
                return Err(ConfigError::Flag {
                    flag: "--account",
                    problem: format!("{wanted:?} names no account: the config file has no [[accounts]]"),
                    fix: "add [[accounts]] entries to the config file (see docs/accounts.md), or leave --account out",
                }
                .into());
            }
            return Ok(vec![self.aws.clone()]);
        }
        let chosen: Vec<&super::config::AccountFile> = entries
            .iter()
            .filter(|e| match wanted {
                Some(wanted) => e.account.is(wanted),
                None => e.search,
            })
            .collect();
        if chosen.is_empty() && wanted.is_none() {
            return Err(ConfigError::Flag {
                flag: "--account",
                problem: "every [[accounts]] entry says search = false".into(),
                fix: "name one with --account, or let one be searched",
            }
            .into());
        }
        if chosen.is_empty() {
            let names: Vec<String> = entries.iter().map(|e| e.account.label()).collect();
            return Err(ConfigError::Flag {
                flag: "--account",
                problem: format!(
                    "{:?} is none of the configured accounts ({})",
                    wanted.unwrap_or_default(),
                    names.join(", ")
                ),
                fix: "give one of their names or ids",
            }
            .into());
        }
        let memo: Option<std::sync::Arc<dyn aws::role::RoleMemo>> =
            Some(std::sync::Arc::new(crate::store::cache::RoleCache::open()));
        Ok(chosen
            .into_iter()
            .map(|entry| aws::Config {
                regions: match &entry.regions {
                    Some(regions) if !region_flag => regions.clone(),
                    _ => self.aws.regions.clone(),
                },
                profile: entry.profile.clone().or_else(|| self.aws.profile.clone()),
                account: Some(std::sync::Arc::new(entry.account.clone())),
                role_memo: memo.clone(),
                ..self.aws.clone()
            })
            .collect())
    }

    fn merge(global: &cli::Global, file: FileConfig) -> Settings {
        let env_set = |names: &[&str]| {
            names
                .iter()
                .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
        };
        // The environment (AWS_REGION, AWS_PROFILE) is more specific than a file.
        let regions = if !global.region.is_empty() || env_set(&["AWS_REGION", "AWS_DEFAULT_REGION"])
        {
            global.region.clone()
        } else {
            file.regions.clone().unwrap_or_default()
        };
        let profile = match &global.profile {
            Some(p) => Some(p.clone()),
            None if env_set(&["AWS_PROFILE"]) => None,
            None => file.profile.clone(),
        };
        let address = global.address.or(file.address).unwrap_or(AddressArg::Auto);
        Settings {
            aws: aws::Config {
                regions,
                profile,
                ca_bundle: None,
                bucket_owner: None,
                account: None,
                role_memo: None,
            },
            accounts: Vec::new(),
            resolve: resolve::Options {
                address: match address {
                    AddressArg::Auto => AddressMode::Auto,
                    AddressArg::Public => AddressMode::Public,
                    AddressArg::Private => AddressMode::Private,
                },
                nameserver: global.nameserver.or(file.nameserver),
            },
            quiet: global.quiet,
            verbose: global.verbose,
            store: file.store.clone(),
            on_name_move: match global.on_name_move.or(file.on_name_move) {
                None | Some(OnNameMoveArg::Warn) => names::OnNameMove::Warn,
                Some(OnNameMoveArg::Refuse) => names::OnNameMove::Refuse,
                Some(OnNameMoveArg::Accept) => names::OnNameMove::Accept,
            },
            file,
        }
    }

    /// `--wait`, else the file's, else none.
    pub fn wait(&self, flag: Option<Duration>) -> Duration {
        flag.or(self.file.wait).unwrap_or(Duration::ZERO)
    }

    /// The settings the config file can hold: each one's effective value
    /// (as the layers below see it, before per-command flags) and where it
    /// came from, for `doctor`.
    pub fn origins(&self, global: &cli::Global) -> Vec<(&'static str, String, String)> {
        let file = &self.file;
        let origin = |flag: bool, in_file: bool| {
            if flag {
                "flag or environment".to_string()
            } else if in_file {
                file.origin()
            } else {
                "default".to_string()
            }
        };
        let duration = |d: Duration| humantime::format_duration(d).to_string();
        let regions_from_file = global.region.is_empty()
            && file.regions.is_some()
            && self.aws.regions == file.regions.clone().unwrap_or_default();
        let (regions, regions_origin) = if self.aws.regions.is_empty() {
            region_from_environment()
        } else {
            (
                self.aws.regions.join(", "),
                origin(!global.region.is_empty(), regions_from_file),
            )
        };
        let accounts = if file.accounts.is_empty() {
            "the profile's own".to_string()
        } else {
            self.accounts
                .iter()
                .filter_map(aws::Config::account_label)
                .collect::<Vec<_>>()
                .join(", ")
        };
        vec![
            ("regions", regions, regions_origin),
            (
                "accounts",
                accounts,
                origin(global.account.is_some(), !file.accounts.is_empty()),
            ),
            (
                "profile",
                self.aws
                    .profile
                    .clone()
                    .unwrap_or_else(|| "AWS_PROFILE, else default".into()),
                origin(
                    global.profile.is_some(),
                    global.profile.is_none() && self.aws.profile.is_some(),
                ),
            ),
            (
                "address",
                format!("{:?}", self.resolve.address).to_lowercase(),
                origin(global.address.is_some(), file.address.is_some()),
            ),
            (
                "nameserver",
                self.resolve
                    .nameserver
                    .map_or_else(|| "the system resolver".into(), |n| n.to_string()),
                origin(global.nameserver.is_some(), file.nameserver.is_some()),
            ),
            (
                "source",
                file.source
                    .map_or_else(|| "auto".into(), |s| format!("{s:?}").to_lowercase()),
                origin(false, file.source.is_some()),
            ),
            (
                "store",
                self.store
                    .as_ref()
                    .map_or_else(|| "none".into(), ToString::to_string),
                origin(
                    global.store.is_some(),
                    global.store.is_none() && self.store.is_some(),
                ),
            ),
            (
                "ssm_document",
                self.ssm_document(None),
                origin(false, file.ssm_document.is_some()),
            ),
            (
                "wait",
                duration(self.wait(None)),
                origin(false, file.wait.is_some()),
            ),
            (
                "cache_ttl",
                duration(file.cache_ttl.unwrap_or(DEFAULT_CACHE_TTL)),
                origin(false, file.cache_ttl.is_some()),
            ),
            (
                "known_hosts",
                file.known_hosts
                    .as_ref()
                    .map_or_else(|| "~/.ssh/known_hosts".into(), |p| p.display().to_string()),
                origin(false, file.known_hosts.is_some()),
            ),
            (
                "on_name_move",
                format!("{:?}", self.on_name_move).to_lowercase(),
                origin(global.on_name_move.is_some(), file.on_name_move.is_some()),
            ),
        ]
    }

    /// The verified-connection pipeline's settings for `host:port`: direct,
    /// carried for ssh on our stdio, recorded. Commands change what differs.
    ///
    /// # Errors
    /// The known_hosts file's directory cannot be made.
    pub fn connection(
        &self,
        file: &cli::KnownHostsArgs,
        cache: &cli::CacheArgs,
        source: &cli::SourceArgs,
        (host, port): (&str, u16),
        wait: Option<Duration>,
    ) -> Result<Connection<'_>> {
        Ok(Connection {
            aws: &self.aws,
            accounts: &self.accounts,
            resolve: self.resolve,
            quiet: self.quiet,
            on_name_move: self.on_name_move,
            destination: self.known_hosts(file)?,
            sources: self.sources(source).for_connection(),
            cache: self.cache(cache),
            lookup: lookup_name(host, port),
            target: Target::classify(host),
            host: host.to_string(),
            port,
            fdpass: false,
            wait: self.wait(wait),
            eice: None,
            client: std::sync::Arc::new(Client::Stdio),
            record: true,
            flights: None,
            record_alias: true,
        })
    }

    /// `--via eice` and its flags, checked, into the connection: the
    /// endpoint carries ports 22 and 3389 only.
    ///
    /// # Errors
    /// A flag that does not fit the others.
    pub fn tunnel(
        &self,
        ctx: &mut Connection<'_>,
        args: &cli::TunnelArgs,
        ports: &[u16],
    ) -> Result<()> {
        use crate::error::{ConfigError, MAX_TUNNEL_SECONDS};
        if args.via == cli::ViaArg::Direct {
            if args.eice_id.is_some() {
                return Err(ConfigError::Flag {
                    flag: "--eice-id",
                    problem: "it names the endpoint of --via eice".into(),
                    fix: "add --via eice, or leave --eice-id out",
                }
                .into());
            }
            return Ok(());
        }
        if let Some(port) = ports.iter().find(|p| !crate::aws::eice::PORTS.contains(p)) {
            return Err(ConfigError::Flag {
                flag: "--via eice",
                problem: format!(
                    "EC2 Instance Connect Endpoints carry ports 22 and 3389 only, not {port}"
                ),
                fix: "run sshd on port 22, or connect --via direct",
            }
            .into());
        }
        let seconds = args.max_tunnel_duration.as_secs();
        if !(1..=u64::from(MAX_TUNNEL_SECONDS)).contains(&seconds) {
            return Err(ConfigError::Flag {
                flag: "--max-tunnel-duration",
                problem: format!("{seconds} s is outside what an endpoint allows"),
                fix: "give 1s to 1h",
            }
            .into());
        }
        ctx.eice = Some(EiceTunnel {
            accounts: self.accounts.clone(),
            endpoint_id: args.eice_id.clone(),
            max_duration: u32::try_from(seconds).unwrap_or(MAX_TUNNEL_SECONDS),
            nameserver: self.resolve.nameserver,
        });
        // A tunnel's name records lead to private addresses that a direct
        // connection may not reach: they are kept apart.
        ctx.lookup = format!("{} via eice", ctx.lookup);
        Ok(())
    }

    /// The host CA key's path: `--ca`, else the tool's data directory.
    ///
    /// # Errors
    /// There is no data directory and no `--ca`.
    pub fn ca_path(args: &cli::CaFileArgs) -> Result<PathBuf> {
        use anyhow::Context;
        args.path
            .clone()
            .or_else(crate::store::ca::default_path)
            .context("no data directory to keep the CA key in; give --ca FILE")
    }

    /// What a lookup through the trust policy needs.
    pub fn lookup<'a>(&'a self, sources: &'a Sources) -> Lookup<'a> {
        Lookup {
            accounts: &self.accounts,
            resolve: self.resolve,
            sources,
            quiet: self.quiet,
        }
    }

    /// The sources `--source` and `--ssm-document` (or the file) ask for.
    pub fn sources(&self, args: &cli::SourceArgs) -> Sources {
        Sources {
            only: match args.source.or(self.file.source).unwrap_or(SourceArg::Auto) {
                SourceArg::Auto => None,
                SourceArg::Seed => Some(SourceKind::Seed),
                SourceArg::Store => Some(SourceKind::Store),
                SourceArg::Console => Some(SourceKind::Console),
                SourceArg::Ssm => Some(SourceKind::Ssm),
            },
            ssm_document: self.ssm_document(args.ssm_document.as_deref()),
            store: self.store.clone(),
            store_reader: self
                .accounts
                .iter()
                .any(|a| a.account.is_some())
                .then(|| self.aws.clone()),
            for_connection: false,
        }
    }

    /// `--ssm-document`, else the file's, else the tool's default name.
    pub fn ssm_document(&self, flag: Option<&str>) -> String {
        flag.map(str::to_string)
            .or_else(|| self.file.ssm_document.clone())
            .unwrap_or_else(|| crate::trust::ssm::DEFAULT_DOCUMENT.to_string())
    }

    /// The verified-key cache as `--no-cache` / `--cache-ttl` ask, its name
    /// records scoped to the AWS settings in use.
    pub fn cache(&self, args: &cli::CacheArgs) -> Option<Cache> {
        if args.no_cache {
            return None;
        }
        let ttl = args
            .cache_ttl
            .or(self.file.cache_ttl)
            .unwrap_or(DEFAULT_CACHE_TTL);
        Cache::open(ttl, cache::scope(&self.aws, &self.accounts))
    }

    /// The known_hosts file a command writes (`--known-hosts`, `--hash`).
    ///
    /// # Errors
    /// No home directory, or `~/.ssh` cannot be created.
    pub fn known_hosts(&self, args: &cli::KnownHostsArgs) -> Result<KnownHostsFile> {
        Ok(KnownHostsFile::new(
            known_hosts_path(
                args.known_hosts
                    .as_deref()
                    .or(self.file.known_hosts.as_deref()),
            )?,
            args.hash,
        ))
    }
}

/// The region the SDK will use when no flag or config file names one, and
/// where it comes from (the SDK reads `AWS_REGION`, then the profile).
fn region_from_environment() -> (String, String) {
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(region) = std::env::var(var)
            && !region.is_empty()
        {
            return (region, var.to_string());
        }
    }
    ("the profile's region".into(), "profile".into())
}
