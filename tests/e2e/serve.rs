//! `serve`: clients that cannot run a ProxyCommand reach instances through
//! a local SOCKS5 / HTTP CONNECT proxy that verifies each connection as
//! `proxy` does — OpenSSH through `nc -X`, paramiko through a SOCKS socket —
//! and relays nothing but verified SSH to instances.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// `ec2-hostkey serve` on a free loopback port, stopped on drop.
struct Serve {
    child: Child,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(sim: &Sim, kh: &Path, extra: &[&str]) -> Serve {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = sim.bin();
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--known-hosts",
    ])
    .arg(kh)
    .args(["--port", &sim.ssh_port.to_string()])
    .args(extra)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::from(
        fs::File::create(sim.path("serve.log")).unwrap(),
    ));
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "serve did not start: {}",
            serve_log(sim)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Serve { child, port }
}

fn serve_log(sim: &Sim) -> String {
    fs::read_to_string(sim.path("serve.log")).unwrap_or_default()
}

/// OpenSSH with `nc -X PROTO -x proxy` as its ProxyCommand, strict checking.
fn ssh_through(
    sim: &Sim,
    serve: &Serve,
    proto: &str,
    host: &str,
    kh: &Path,
) -> std::process::Output {
    let nc = format!(
        "ProxyCommand=nc -X {proto} -x 127.0.0.1:{} %h %p",
        serve.port
    );
    sim.ssh_opts(host, kh, &[nc], &[], &["echo", "ok"], None)
}

#[test]
fn openssh_through_socks5_and_http_connect_is_verified_and_recorded() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &[]);
    let out = ssh_through(&sim, &serve, "5", "web", &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    assert_eq!(stdout(&out).trim(), "ok");
    assert_eq!(keygen_find(&kh, &sim.name("web")), sim.keyscan(&web.ip));
    let out = ssh_through(&sim, &serve, "connect", &web.id, &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    let log = serve_log(&sim);
    assert!(
        log.contains(&format!("-> web:{}: verified", sim.ssh_port)),
        "{log}"
    );
}

const PARAMIKO: &str = r#"
import sys, paramiko
from python_socks.sync import Proxy
proxy_port, host, port, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sock = Proxy.from_url(f"socks5://127.0.0.1:{proxy_port}").connect(dest_host=host, dest_port=port, timeout=20)
client = paramiko.SSHClient()
# What users of paramiko do for EC2: accept any key. serve is what checks it.
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    client.connect(host, port=port, username=sys.argv[5], key_filename=key, sock=sock,
                   allow_agent=False, look_for_keys=False, timeout=20, banner_timeout=20)
    _, out, _ = client.exec_command("echo ok")
    print(out.read().decode().strip())
except Exception as e:
    print(f"refused: {type(e).__name__}: {e}")
    sys.exit(3)
"#;

fn paramiko(sim: &Sim, serve: &Serve, host: &str) -> std::process::Output {
    let mut cmd = Command::new(sim_python());
    cmd.arg("-c")
        .arg(PARAMIKO)
        .args([&serve.port.to_string(), host, &sim.ssh_port.to_string()])
        .arg(sim.client_key())
        .arg(user());
    run(cmd, None)
}

#[test]
fn paramiko_through_socks_is_verified_and_a_mitm_never_reaches_it() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let evil = sim.launch(Launch::named("evil").tag("sim:mitm", "true"));
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &[]);
    let out = paramiko(&sim, &serve, &web.id);
    assert!(
        out.status.success(),
        "{}{}\n{}",
        stdout(&out),
        stderr(&out),
        serve_log(&sim)
    );
    assert_eq!(stdout(&out).trim(), "ok");

    let before = fs::read(&kh).unwrap();
    let out = paramiko(&sim, &serve, &evil.id);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        fs::read(&kh).unwrap(),
        before,
        "nothing written for the MITM"
    );
    let log = serve_log(&sim);
    assert!(
        log.contains(&format!("{}:{}: refused (", evil.id, sim.ssh_port)),
        "{log}"
    );
    assert!(log.contains("HOST KEY MISMATCH"), "{log}");
}

/// A SOCKS5 CONNECT to `host:port`; the reply code.
fn socks_connect(serve: &Serve, host: &str, port: u16) -> u8 {
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(&[5, 1, 0]).unwrap();
    let mut answer = [0u8; 2];
    s.read_exact(&mut answer).unwrap();
    let mut request = vec![5, 1, 0, 3, host.len() as u8];
    request.extend(host.as_bytes());
    request.extend(port.to_be_bytes());
    s.write_all(&request).unwrap();
    let mut reply = [0u8; 10];
    s.read_exact(&mut reply).unwrap();
    reply[1]
}

#[test]
fn serve_is_never_an_open_relay() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &[]);
    // An address on this machine that is no instance: the testbed's own API.
    assert_eq!(
        socks_connect(&serve, "127.0.0.1", sim.port),
        2,
        "{}",
        serve_log(&sim)
    );
    // A port that is not carried, on a real instance.
    assert_eq!(socks_connect(&serve, &web.id, 80), 2);
    // A name that is no instance.
    assert_eq!(socks_connect(&serve, "example.invalid", sim.ssh_port), 2);
    // HTTP CONNECT is refused the same way.
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.write_all(format!("CONNECT 127.0.0.1:{} HTTP/1.1\r\n\r\n", sim.port).as_bytes())
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(!kh.exists() || fs::read(&kh).unwrap().is_empty());

    // A listener off loopback is refused: no authentication is offered.
    let out = sim.run_bin(&["serve", "--listen", "0.0.0.0:1080"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
