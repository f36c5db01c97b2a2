//! `proxy HOST PORT`: the ProxyCommand. Resolve the instance, get its trusted
//! keys, connect, read the key the server presents as it passes, verify it,
//! record it in known_hosts, and only then let ssh see it and carry the
//! connection.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::{Global, KnownHostsArgs, ProxyArgs};
use crate::ec2::{Ec2, Instance};
use crate::known_hosts::{self, lookup_name};
use crate::resolve::{self, Target};
use crate::sources::{self, console::ConsoleKeys};
use crate::{kex, pipe};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

pub fn run(global: &Global, args: &ProxyArgs) -> Result<()> {
    let target = Target::classify(&args.host);
    let (instance, trusted) = runtime()?.block_on(lookup(global, &target, args.wait))?;
    let address = instance
        .address()
        .expect("resolve only returns instances with an address");
    let socket = connect(address, args.port)?;
    pipe::prepare(&socket)?;
    let upstream = pipe::spawn_upstream(&socket).context("cannot start the data path")?;

    let stdout = io::stdout();
    let intercepted = kex::intercept_host_key(
        &mut pipe::FdIo(socket.as_fd()),
        &mut pipe::FdIo(stdout.as_fd()),
    )
    .with_context(|| format!("{address}:{}", args.port))?;
    let keys = sources::verify(&instance.id, address, &intercepted.key, &trusted)?;
    let names = names_for(&args.host, args.port, &instance);
    let path = known_hosts_path(&args.file)?;
    let comment = format!("ec2-hostkey:{}", instance.id);
    let changed = known_hosts::update(&path, |file| {
        for (line, reason) in file.invalid_lines() {
            tracing::debug!(
                "{}:{line}: kept as is, not a valid entry: {reason}",
                path.display()
            );
        }
        let changed = file.replace(&names, &keys, args.file.hash, Some(&comment));
        (changed, changed)
    })?;
    if changed && !global.quiet {
        eprintln!(
            "ec2-hostkey: verified {} key {} from its console output; recorded {} in {}",
            instance.id,
            sources::describe_key(&intercepted.key),
            names.join(", "),
            path.display()
        );
    }
    tracing::debug!(instance = %instance.id, names = ?names, changed, "host key verified");

    pipe::downstream(&socket, &intercepted.held).context("connection to the instance failed")?;
    match upstream.join() {
        Ok(result) => result.context("connection to the instance failed"),
        Err(_) => bail!("the data path thread panicked"),
    }
}

async fn lookup(
    global: &Global,
    target: &Target,
    wait: Duration,
) -> Result<(Instance, ConsoleKeys)> {
    let ec2 = Ec2::new(global.region.as_deref(), global.profile.as_deref()).await?;
    let instance = resolve::find_instance(&ec2, target).await?;
    tracing::debug!(?instance, "resolved");
    let keys = sources::console_keys(&ec2, &instance.id, wait).await?;
    Ok((instance, keys))
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn connect(address: &str, port: u16) -> Result<TcpStream> {
    let ip: IpAddr = address
        .parse()
        .with_context(|| format!("EC2 returned an address that is not an IP: {address}"))?;
    let socket = TcpStream::connect_timeout(&SocketAddr::new(ip, port), CONNECT_TIMEOUT)
        .with_context(|| format!("cannot connect to {address} port {port}; is the instance's sshd up and its security group open to you?"))?;
    socket.set_nodelay(true).ok();
    Ok(socket)
}

/// Every name ssh or the user may look this host up under, in `[host]:port` form off port 22.
fn names_for(host: &str, port: u16, instance: &Instance) -> Vec<String> {
    let (dns, ip) = if instance.public_ip.is_some() {
        (&instance.public_dns, &instance.public_ip)
    } else {
        (&instance.private_dns, &instance.private_ip)
    };
    let mut names = vec![lookup_name(host, port)];
    for name in [dns, ip].into_iter().flatten() {
        let name = lookup_name(name, port);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `--known-hosts`, or `~/.ssh/known_hosts` (creating `~/.ssh` 0700 as ssh does).
pub fn known_hosts_path(args: &KnownHostsArgs) -> Result<PathBuf> {
    if let Some(path) = &args.known_hosts {
        return Ok(path.clone());
    }
    let home =
        dirs::home_dir().context("cannot find your home directory; pass --known-hosts FILE")?;
    let ssh_dir = home.join(".ssh");
    if !ssh_dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&ssh_dir)
            .with_context(|| format!("cannot create {}", ssh_dir.display()))?;
    }
    Ok(ssh_dir.join("known_hosts"))
}
