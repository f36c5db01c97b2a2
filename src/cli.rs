//! The command line: clap definitions only, no I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (I/O, network, known_hosts file)
  2  usage error
  3  no such running instance (not found, ambiguous, not running)
  4  no verified host key available yet (console output missing or without keys)
  5  host key mismatch: possible man-in-the-middle, nothing written
  6  AWS configuration, credentials or permission problem";

#[derive(Debug, Parser)]
#[command(
    name = "ec2-hostkey",
    version,
    about = "Verified SSH host keys for AWS EC2 instances, for OpenSSH's ProxyCommand",
    long_about = "Looks up an EC2 instance, takes its real host keys from the console output the \
authenticated EC2 API returns, checks the key the live server presents against them, writes \
verified known_hosts entries for every name you connect by, and carries the connection. \
No trust on first use, no StrictHostKeyChecking=no.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// AWS region (default: AWS_REGION, then the profile's region)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile (default: AWS_PROFILE)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// More detail on stderr (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing on stderr but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify HOST's key, record it, then carry the connection (ProxyCommand ec2-hostkey proxy %h %p)
    Proxy(ProxyArgs),
    /// Print verified known_hosts lines for HOST; writes nothing (KnownHostsCommand ec2-hostkey known-hosts %H %t %K)
    KnownHosts(KnownHostsCmdArgs),
    /// Print TARGETs' verified host keys as known_hosts lines or JSON; --write records them
    Fetch(FetchArgs),
    /// Report and fix known_hosts entries for EC2 names whose key is not the current instance's
    Repair(RepairArgs),
    /// Remove every known_hosts entry for an instance (alias, DNS names, IPs)
    Forget(ForgetArgs),
    /// Generate host keys before launch and print user-data that installs them
    Seed(SeedArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SeedArgs {
    #[command(subcommand)]
    pub action: Option<SeedAction>,
    #[command(flatten)]
    pub generate: SeedGenArgs,
}

#[derive(Debug, Subcommand)]
pub enum SeedAction {
    /// Link a seed to the instance launched with it (when it was not tagged)
    Bind { id: String, instance: String },
    /// Delete the S3 objects of seeds whose keys were never fetched through a connection
    Cleanup,
}

#[derive(Debug, Args)]
pub struct SeedGenArgs {
    /// Key types to generate (repeatable)
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub key_type: Vec<SeedKeyType>,
    /// User-data format
    #[arg(long, value_enum, default_value = "cloud-config")]
    pub format: SeedFormat,
    /// Put the private keys in a private S3 object (s3://bucket/prefix); user-data gets a presigned URL
    #[arg(long, value_name = "S3_URL")]
    pub s3: Option<String>,
    /// How long the presigned URL works (with --s3)
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub expires: Duration,
    /// Write the user-data to FILE (0600) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedKeyType {
    Ed25519,
    Ecdsa,
    Rsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedFormat {
    CloudConfig,
    Script,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Report what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove orphaned entries (EC2 names no instance holds any more)
    #[arg(long)]
    pub prune: bool,
    /// Print a JSON report: {file, entries: [{line, names, hashed, status, instance, key}], fine, stale, orphaned, unverified, changed}
    #[arg(long)]
    pub json: bool,
    /// Also look for `[name]:PORT` entries on this port (repeatable; 22 always)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// List the lines that would be removed; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove `[name]:PORT` entries on this port (repeatable; 22 always)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,
    /// Instance id, Name tag, DNS name or IP
    pub target: String,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Add the verified keys to known_hosts (replacing stale entries for the same names)
    #[arg(long)]
    pub write: bool,
    /// Print JSON: [{target, instance, names, source, keys: [{type, key, fingerprint}]}]
    #[arg(long)]
    pub json: bool,
    /// The SSH port, for entry names and fingerprint probes
    #[arg(long, default_value_t = 22)]
    pub port: u16,
    /// How long to wait for console output to appear after boot (e.g. 90s, 10m)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub wait: Duration,
    /// Instance ids, Name tags, DNS names or IPs
    #[arg(required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KnownHostsCmdArgs {
    #[command(flatten)]
    pub cache: CacheArgs,
    /// How long to wait for console output to appear after boot (e.g. 90s, 10m)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub wait: Duration,
    /// The name ssh looks up, `host` or `[host]:port` (ssh's %H)
    pub host: String,
    /// The offered key's type, or NONE (ssh's %t)
    pub key_type: Option<String>,
    /// The offered key, base64, or NONE (ssh's %K)
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Neither read nor write the verified-key cache (~/.cache/ec2-hostkey)
    #[arg(long)]
    pub no_cache: bool,
    /// How long a name's verified instance and address are reused without asking AWS
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
    pub cache_ttl: Duration,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub file: KnownHostsArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Hand ssh the connected socket after verification (needs `ProxyUseFdpass yes`)
    #[arg(long)]
    pub fdpass: bool,
    /// How long to wait for console output to appear after boot (e.g. 90s, 10m)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub wait: Duration,
    /// Instance id, Name tag, public or private DNS name, or IP (ssh's %h)
    pub host: String,
    /// Port to connect to (ssh's %p)
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct KnownHostsArgs {
    /// known_hosts file to update (default: ~/.ssh/known_hosts)
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Write hashed entries (default: when ssh's HashKnownHosts says so, the file is mostly hashed, or the replaced entries were)
    #[arg(long)]
    pub hash: bool,
}
