//! `proxy HOST PORT`: the ProxyCommand. Reads the flags into one
//! [`Connection`] and hands it to the verified-connection pipeline
//! (`trust::connection`), which locates, connects, verifies, records and
//! carries it.

use anyhow::Result;

use super::settings::Settings;
use crate::aws::eice;
use crate::cli::{ProxyArgs, RelayArg, ViaArg};
use crate::error::{ConfigError, MAX_TUNNEL_SECONDS};
use crate::net::pipe::Relay;
use crate::trust::connection::{self, EiceTunnel};

pub fn run(settings: &Settings, args: &ProxyArgs) -> Result<()> {
    let target = (args.host.as_str(), args.port);
    let mut ctx = settings.connection(&args.file, &args.cache, &args.source, target, args.wait)?;
    ctx.fdpass = args.fdpass;
    ctx.eice = eice_tunnel(settings, args)?;
    if args.via == ViaArg::Eice {
        // A tunnel's name records lead to private addresses that a direct
        // connection may not reach: they are kept apart.
        ctx.lookup = format!("{} via eice", ctx.lookup);
    }
    connection::run(&ctx, relay(args.relay)?)
}

/// `--via eice` and its flags, checked: the endpoint carries ports 22 and
/// 3389 only, and a tunnel cannot be handed to ssh as a socket.
fn eice_tunnel(settings: &Settings, args: &ProxyArgs) -> Result<Option<EiceTunnel>> {
    if args.via == ViaArg::Direct {
        if args.eice_id.is_some() {
            return Err(ConfigError::Flag {
                flag: "--eice-id",
                problem: "it names the endpoint of --via eice".into(),
                fix: "add --via eice, or leave --eice-id out",
            }
            .into());
        }
        return Ok(None);
    }
    if !eice::PORTS.contains(&args.port) {
        return Err(ConfigError::Flag {
            flag: "--via eice",
            problem: format!(
                "EC2 Instance Connect Endpoints carry ports 22 and 3389 only, not {}",
                args.port
            ),
            fix: "run sshd on port 22, or connect --via direct",
        }
        .into());
    }
    if args.fdpass {
        return Err(ConfigError::Flag {
            flag: "--fdpass",
            problem: "a tunnel is carried by ec2-hostkey, so there is no socket to hand ssh".into(),
            fix: "leave --fdpass (and ProxyUseFdpass) out with --via eice",
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
    Ok(Some(EiceTunnel {
        aws: settings.aws.clone(),
        endpoint_id: args.eice_id.clone(),
        max_duration: u32::try_from(seconds).unwrap_or(MAX_TUNNEL_SECONDS),
        nameserver: settings.resolve.nameserver,
    }))
}

/// `--relay`, else the fastest this system has.
fn relay(asked: Option<RelayArg>) -> Result<Relay> {
    Ok(match asked {
        None => Relay::best(),
        Some(RelayArg::Copy) => Relay::Copy,
        Some(RelayArg::Splice) if cfg!(target_os = "linux") => Relay::Splice,
        Some(RelayArg::Splice) => {
            return Err(crate::error::ConfigError::Flag {
                flag: "--relay splice",
                problem: "splice(2) exists only on Linux".into(),
                fix: "use --relay copy, or leave --relay out",
            }
            .into());
        }
    })
}
