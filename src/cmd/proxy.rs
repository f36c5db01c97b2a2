//! `proxy HOST PORT`: the ProxyCommand. Reads the flags into one
//! [`Connection`] and hands it to the verified-connection pipeline
//! (`trust::connection`), which locates, connects, verifies, records and
//! carries it.

use anyhow::Result;

use super::settings::Settings;
use crate::cli::{ProxyArgs, RelayArg, ViaArg};
use crate::error::ConfigError;
use crate::net::pipe::Relay;
use crate::trust::connection;

pub fn run(settings: &Settings, args: &ProxyArgs) -> Result<()> {
    let target = (args.host.as_str(), args.port);
    let mut ctx = settings.connection(&args.file, &args.cache, &args.source, target, args.wait)?;
    ctx.fdpass = args.fdpass;
    if args.fdpass && args.tunnel.via == ViaArg::Eice {
        return Err(ConfigError::Flag {
            flag: "--fdpass",
            problem: "a tunnel is carried by ec2-hostkey, so there is no socket to hand ssh".into(),
            fix: "leave --fdpass (and ProxyUseFdpass) out with --via eice",
        }
        .into());
    }
    settings.tunnel(&mut ctx, &args.tunnel, &[args.port])?;
    connection::run(&ctx, relay(args.relay)?)?.ended
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
