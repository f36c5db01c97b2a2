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
    serve_with(sim, kh, extra, &[])
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// [`serve`] with more environment (AWS_CA_BUNDLE for a tunnel).
fn serve_with(sim: &Sim, kh: &Path, extra: &[&str], env: &[(&str, &str)]) -> Serve {
    let port = free_port();
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
    .envs(env.iter().copied());
    start(sim, cmd, port)
}

/// Starts `cmd` (a serve) with its log in serve.log; waits for `port`.
fn start(sim: &Sim, mut cmd: Command, port: u16) -> Serve {
    cmd.stdin(Stdio::null())
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

/// serve's log once it holds `needle`: a connection's line is written when
/// serve has finished with it, which may be just after the client exits.
fn log_with(sim: &Sim, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = serve_log(sim);
        if log.contains(needle) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Strict ssh to `host` through `proxy` (a `ProxyCommand=…` option),
/// running `remote`, left running with its stdout piped.
fn spawn_ssh(sim: &Sim, kh: &Path, proxy: &str, host: &str, remote: &str) -> Child {
    let mut ssh = sim.ssh_command(Path::new("/dev/null"));
    ssh.args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", kh.display()))
        .args(["-o", proxy, host, remote])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    ssh.spawn().unwrap()
}

/// The client succeeded and printed `ok` (else: what it and serve said).
fn said_ok(sim: &Sim, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}\n{}",
        stdout(out),
        stderr(out),
        serve_log(sim)
    );
    assert_eq!(stdout(out).trim(), "ok");
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
    // OpenSSH checks its own known_hosts for the name it was given: by a
    // Name tag, that name must be recorded (--record-aliases).
    let serve = serve(&sim, &kh, &["--record-aliases"]);
    let out = ssh_through(&sim, &serve, "5", "web", &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    assert_eq!(stdout(&out).trim(), "ok");
    assert_eq!(keygen_find(&kh, &sim.name("web")), sim.keyscan(&web.ip));
    assert_eq!(keygen_find(&kh, &web.dns), sim.keyscan(&web.ip));
    let out = ssh_through(&sim, &serve, "connect", &web.id, &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    let verified = format!("-> web:{}: verified", sim.ssh_port);
    let log = log_with(&sim, &verified);
    assert!(log.contains(&verified), "{log}");
}

const PARAMIKO: &str = r#"
import os, sys, paramiko
from python_socks.sync import Proxy
proxy, host, port, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
client = paramiko.SSHClient()
# What users of paramiko do for EC2: accept any key. serve is what checks it.
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    sock = Proxy.from_url(proxy).connect(dest_host=host, dest_port=port, timeout=20)
    # KEX=gex: only group exchange, whose reply is message 33, not 31.
    gex = {"diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1"}
    disabled = {"kex": [k for k in paramiko.Transport._preferred_kex if k not in gex]} if os.environ.get("KEX") == "gex" else {}
    client.connect(host, port=port, username=sys.argv[5], key_filename=key, sock=sock,
                   allow_agent=False, look_for_keys=False, timeout=20, banner_timeout=20,
                   disabled_algorithms=disabled)
    _, out, _ = client.exec_command("echo ok")
    print(out.read().decode().strip())
except Exception as e:
    print(f"refused: {type(e).__name__}: {e}")
    sys.exit(3)
"#;

fn paramiko(sim: &Sim, serve: &Serve, host: &str) -> std::process::Output {
    paramiko_via(sim, &format!("socks5://127.0.0.1:{}", serve.port), host)
}

/// paramiko through the SOCKS proxy at `url` (which may carry user:password@).
fn paramiko_via(sim: &Sim, url: &str, host: &str) -> std::process::Output {
    let mut cmd = Command::new(sim_python());
    cmd.arg("-c")
        .arg(PARAMIKO)
        .args([url, host, &sim.ssh_port.to_string()])
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
    said_ok(&sim, &out);
    // By its Name tag: the instance is selected and verified, but the name
    // the client chose (anyone who reaches the listener may be the client)
    // is not written to known_hosts; EC2's own names are.
    let out = paramiko(&sim, &serve, "web");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(keygen_find(&kh, &sim.name("web")), Vec::<String>::new());
    assert_eq!(keygen_find(&kh, &web.dns), sim.keyscan(&web.ip));
    // Group exchange, where message 31 is the group and the key comes in 33.
    let gex = |host: &str| {
        let mut gex = Command::new(sim_python());
        gex.arg("-c")
            .arg(PARAMIKO)
            .args([&format!("socks5://127.0.0.1:{}", serve.port), host, "22"])
            .arg(sim.client_key())
            .arg(user())
            .env("KEX", "gex");
        run(gex, None)
    };
    let out = gex(&web.id);
    assert!(
        out.status.success(),
        "{}{}\n{}",
        stdout(&out),
        stderr(&out),
        serve_log(&sim)
    );

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
    let out = gex(&evil.id);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(fs::read(&kh).unwrap(), before, "nor under group exchange");
    let refused = format!("{}:{}: refused (", evil.id, sim.ssh_port);
    let log = log_with(&sim, &refused);
    assert!(log.contains(&refused), "{log}");
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

/// Whether serve closed the connection (an end, or a reset for bytes it left unread).
fn closed(s: &mut TcpStream) -> bool {
    match s.read(&mut [0u8; 64]) {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

#[test]
fn serve_is_never_an_open_relay() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &["--handshake-timeout", "1s"]);
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
    // A malformed SOCKS request (a version-4 request after a SOCKS5 greeting).
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(&[5, 1, 0]).unwrap();
    let mut answer = [0u8; 2];
    s.read_exact(&mut answer).unwrap();
    s.write_all(&[4, 1, 0, 1, 127, 0, 0, 1, 0, 22]).unwrap();
    assert!(closed(&mut s));
    // A client that never says where it goes is let go.
    let mut s = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert!(closed(&mut s), "closed after the handshake timeout");
    assert!(!kh.exists() || fs::read(&kh).unwrap().is_empty());
    for reason in [
        format!("-> 127.0.0.1:{}: refused (", sim.port),
        format!("-> {}:80: refused (port 80 is not carried", web.id),
        "-> example.invalid:".to_string(),
        "refused (a request neither SOCKS5 nor HTTP CONNECT (not a SOCKS5 request))".to_string(),
        "refused (no request within 1s (--handshake-timeout))".to_string(),
    ] {
        let log = log_with(&sim, &reason);
        assert!(log.contains(&reason), "{reason:?} not in\n{log}");
    }

    // A listener off loopback is refused unless users must authenticate
    // (refused before anything is bound).
    let out = sim.run_bin(&["serve", "--listen", "0.0.0.0:1080"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--users"), "{}", stderr(&out));
}

#[test]
fn with_users_only_clients_that_authenticate_are_carried() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let users = sim.path("users");
    fs::write(&users, "# who may use serve\nalice:correct horse\n").unwrap();
    // It holds passwords: a file others may read is refused.
    fs::set_permissions(&users, fs::Permissions::from_mode(0o644)).unwrap();
    let users_arg = users.to_str().unwrap();
    let out = sim.run_bin(&["serve", "--users", users_arg, "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--users"), "{}", stderr(&out));
    fs::set_permissions(&users, fs::Permissions::from_mode(0o600)).unwrap();

    let serve = serve(&sim, &kh, &["--users", users_arg]);
    let port = serve.port;
    let out = paramiko_via(
        &sim,
        &format!("socks5://alice:correct%20horse@127.0.0.1:{port}"),
        &web.id,
    );
    said_ok(&sim, &out);
    for refused in [
        format!("socks5://127.0.0.1:{port}"),
        format!("socks5://alice:guess@127.0.0.1:{port}"),
    ] {
        let out = paramiko_via(&sim, &refused, &web.id);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{refused}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    // OpenSSH through nc, which offers no password: refused.
    assert!(
        !ssh_through(&sim, &serve, "5", &web.id, &kh)
            .status
            .success()
    );

    // HTTP CONNECT: Basic credentials, or 407.
    let connect = |credentials: Option<&str>| {
        use base64::Engine;
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let auth = credentials.map_or(String::new(), |c| {
            format!(
                "Proxy-Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        write!(s, "CONNECT {}:22 HTTP/1.1\r\n{auth}\r\n", web.id).unwrap();
        let mut reply = vec![0u8; 256];
        let mut got = 0;
        while got < reply.len() {
            match s.read(&mut reply[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
            if String::from_utf8_lossy(&reply[..got]).contains("SSH-2.0") {
                break;
            }
        }
        String::from_utf8_lossy(&reply[..got]).to_string()
    };
    let reply = connect(Some("alice:correct horse"));
    assert!(
        reply.starts_with("HTTP/1.1 200 ") && reply.contains("SSH-2.0-"),
        "{reply:?}"
    );
    let reply = connect(None);
    assert!(reply.starts_with("HTTP/1.1 407 "), "{reply:?}");
    let reply = connect(Some("alice:guess"));
    assert!(reply.starts_with("HTTP/1.1 407 "), "{reply:?}");

    let log = serve_log(&sim);
    assert!(
        log.contains("not authenticated: wrong user name or password"),
        "{log}"
    );
    assert!(
        !log.contains("correct horse") && !log.contains("guess"),
        "passwords never logged: {log}"
    );
}

const MANY: &str = r#"
import sys, json, threading, paramiko
from python_socks.sync import Proxy
port, keys, n = int(sys.argv[1]), json.load(open(sys.argv[2])), int(sys.argv[3])
ids = sorted(keys)
results = [None] * n
start = threading.Barrier(n)
def one(i):
    host = ids[i % len(ids)]
    try:
        start.wait()
        sock = Proxy.from_url(f"socks5://127.0.0.1:{port}").connect(dest_host=host, dest_port=22, timeout=180)
        t = paramiko.Transport(sock)
        t.banner_timeout = t.handshake_timeout = 180
        t.start_client(timeout=180)
        k = t.get_remote_server_key()
        results[i] = f"{k.get_name()} {k.get_base64()}" in keys[host]
        t.close()
    except Exception as e:
        results[i] = f"{host}: {type(e).__name__}: {e}"
threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(results))
"#;

/// `n` paramiko clients at once through serve, round robin over the
/// instances; each finishes a key exchange (which serve lets through only
/// once verified) and checks the key is the instance's. The failures.
fn many_at_once(sim: &Sim, serve: &Serve, ids: &[String], n: usize) -> Vec<String> {
    let keys: std::collections::HashMap<String, Vec<String>> = sim
        .host_keys()
        .into_iter()
        .filter(|(id, _)| ids.contains(id))
        .collect();
    let file = sim.path("keys.json");
    fs::write(&file, serde_json::to_string(&keys).unwrap()).unwrap();
    let mut cmd = Command::new(sim_python());
    cmd.arg("-c").arg(MANY).args([
        &serve.port.to_string(),
        file.to_str().unwrap(),
        &n.to_string(),
    ]);
    let out = run(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let results: Vec<serde_json::Value> = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(results.len(), n);
    results
        .into_iter()
        .filter(|r| r != &serde_json::Value::Bool(true))
        .map(|r| r.to_string())
        .collect()
}

#[test]
fn two_hundred_clients_at_once_to_ten_instances_cost_one_lookup_per_instance() {
    let sim = Sim::start();
    let fleet = sim.launch_many(Launch::named("fleet"), 10, None);
    let ids: Vec<String> = fleet.iter().map(|l| l.id.clone()).collect();
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &[]);
    sim.reset_calls();
    let failed = many_at_once(&sim, &serve, &ids, 200);
    assert!(failed.is_empty(), "{failed:?}\n{}", serve_log(&sim));
    let calls = sim.calls();
    let describes = calls.iter().filter(|c| *c == "DescribeInstances").count();
    assert!(
        describes <= ids.len(),
        "{describes} DescribeInstances for {} instances: {calls:?}",
        ids.len()
    );
    let consoles = calls.iter().filter(|c| *c == "GetConsoleOutput").count();
    assert!(
        consoles <= ids.len(),
        "{consoles} GetConsoleOutput: {calls:?}"
    );
    for instance in &fleet {
        let recorded = keygen_find(&kh, &instance.id);
        assert_eq!(
            recorded,
            sim.keyscan(&instance.ip),
            "{} recorded",
            instance.id
        );
    }
    // Warm: the next clients cost no API call at all.
    sim.reset_calls();
    let failed = many_at_once(&sim, &serve, &ids, 20);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(sim.calls(), Vec::<String>::new());
    let count = |log: &str| {
        log.lines()
            .filter(|l| l.contains("serve: ") && l.contains(": verified i-"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&serve_log(&sim)) < 220 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = serve_log(&sim);
    assert_eq!(count(&log), 220, "{log}");
}

/// socat as the ProxyCommand, through serve by HTTP CONNECT.
fn socat(serve: &Serve) -> String {
    format!(
        "ProxyCommand=socat - PROXY:127.0.0.1:%h:%p,proxyport={}",
        serve.port
    )
}

/// The JSON log lines serve wrote (one object per connection).
fn json_log(sim: &Sim) -> Vec<serde_json::Value> {
    serve_log(sim)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits up to `limit` for the child to exit.
fn exits_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn sigterm_lets_open_connections_finish_and_idle_ones_are_cut() {
    use std::io::BufRead;
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let mut serve = serve(
        &sim,
        &kh,
        &[
            "--idle-timeout",
            "2s",
            "--drain",
            "30s",
            "--log-format",
            "json",
        ],
    );
    // A session silent for longer than the idle timeout is cut. (socat,
    // which ends when the proxy does; OpenBSD nc keeps ssh's pipe open.)
    let out = sim.ssh_opts(
        &web.id,
        &kh,
        &[socat(&serve)],
        &[],
        &["sleep 6; echo late"],
        None,
    );
    let nc = format!("ProxyCommand=nc -X 5 -x 127.0.0.1:{} %h %p", serve.port);
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("late"));

    // A session open when SIGTERM comes finishes; new clients are refused.
    let mut ssh = spawn_ssh(&sim, &kh, &nc, &web.id, "echo started; sleep 1; echo done");
    let mut lines = std::io::BufReader::new(ssh.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "started");
    let pid = serve.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", serve.port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(lines.next().unwrap().unwrap(), "done");
    assert!(ssh.wait().unwrap().success());
    let status =
        exits_within(&mut serve.child, Duration::from_secs(20)).expect("serve exits once drained");
    assert!(status.success(), "{}", serve_log(&sim));

    let log = serve_log(&sim);
    // The ssh session is open; one of the test's probes above may be too,
    // if it was accepted before the signal was handled.
    let open: usize = log
        .split("SIGTERM: no longer accepting; ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no drain line: {log}"));
    assert!((1..=2).contains(&open), "{log}");
    // (The test's own checks that serve is up, or no longer accepting,
    // are clients that hang up before their request.)
    let (entries, probes): (Vec<_>, Vec<_>) = json_log(&sim)
        .into_iter()
        .partition(|e| e["verdict"] == "verified");
    for probe in &probes {
        assert_eq!(
            probe["why"], "the client hung up before its request",
            "{log}"
        );
    }
    assert_eq!(entries.len(), 2, "{log}");
    let (idle, drained) = (&entries[0], &entries[1]);
    for entry in &entries {
        assert_eq!(entry["verdict"], "verified", "{entry}");
        assert_eq!(entry["instance"], web.id.as_str(), "{entry}");
        // Its owner as EC2 said, on the cold path and from the name record on the warm one.
        assert_eq!(entry["account"], "123456789012", "{entry}");
        assert_eq!(entry["target"], format!("{}:22", web.id), "{entry}");
        assert!(
            entry["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{entry}"
        );
        assert!(entry["bytes_up"].as_u64().unwrap() > 1000, "{entry}");
        assert!(entry["bytes_down"].as_u64().unwrap() > 1000, "{entry}");
        assert!(
            entry["client"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{entry}"
        );
    }
    assert!(
        idle["why"].as_str().unwrap().contains("idle for 2s"),
        "{idle}"
    );
    assert_eq!(drained["why"], "closed", "{drained}");
}

#[test]
fn a_drain_that_runs_out_ends_what_is_still_open() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let mut serve = serve(&sim, &kh, &["--drain", "1s", "--max-connections", "1"]);
    let nc = socat(&serve);
    let mut ssh = spawn_ssh(&sim, &kh, &nc, &web.id, "echo started; sleep 60");
    let mut first = [0u8; 8];
    ssh.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"started\n");
    // One connection is the limit: the next client is closed at once.
    let mut second = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    assert!(closed(&mut second));
    let pid = serve.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = exits_within(&mut serve.child, Duration::from_secs(20))
        .expect("serve exits when the drain runs out");
    assert!(status.success());
    assert!(
        exits_within(&mut ssh, Duration::from_secs(20)).is_some(),
        "ssh sees the end"
    );
    let log = serve_log(&sim);
    assert!(
        log.contains("refused (1 connections open already (--max-connections))"),
        "{log}"
    );
    assert!(
        log.contains("1 connection(s) still open after the drain: ending them"),
        "{log}"
    );
}

const ACTIVATE: &str = r#"
import os, socket, sys
# What systemd does for a .socket unit: bind, listen, pass it as fd 3.
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"#;

#[test]
fn a_socket_systemd_passes_is_served() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let port = free_port();
    let template = sim.bin();
    let mut cmd = Command::new(sim_python());
    cmd.env_clear()
        .envs(template.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg("-c")
        .arg(ACTIVATE)
        .arg(port.to_string())
        .arg(BIN)
        .args(["serve", "--known-hosts", kh.to_str().unwrap()]);
    let serve = start(&sim, cmd, port);
    let out = ssh_through(&sim, &serve, "connect", &web.id, &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    assert_eq!(stdout(&out).trim(), "ok");
    let verified = format!("-> {0}:22: verified {0}", web.id);
    let log = log_with(&sim, &verified);
    assert!(
        log.contains(&format!(
            "serving SOCKS5 and HTTP CONNECT on 127.0.0.1:{port}"
        )),
        "{log}"
    );
    assert!(log.contains(&verified), "{log}");
}

#[test]
fn a_private_instance_through_serve_via_eice() {
    let sim = Sim::start();
    let db = sim.launch(Launch::named("db").tag("sim:public", "none"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("kh");
    let ca = sim.ca_bundle();
    let nameserver = sim.nameserver();
    let serve = serve_with(
        &sim,
        &kh,
        &["--via", "eice", "--nameserver", &nameserver],
        &[("AWS_CA_BUNDLE", ca.to_str().unwrap())],
    );
    let out = ssh_through(&sim, &serve, "5", &db.id, &kh);
    assert!(
        out.status.success(),
        "{}\n{}",
        stderr(&out),
        serve_log(&sim)
    );
    assert_eq!(stdout(&out).trim(), "ok");
    let keys = sim.host_keys()[&db.id].clone();
    assert_eq!(keygen_find(&kh, &db.id), keys);
    // A port the endpoint does not carry is refused when serve starts.
    let out = sim.run_bin(&[
        "serve",
        "--via",
        "eice",
        "--port",
        "2222",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn openssh_that_checks_nothing_reaches_only_verified_servers() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let evil = sim.launch(Launch::named("evil").tag("sim:mitm", "true"));
    let kh = sim.path("kh");
    let serve = serve(&sim, &kh, &[]);
    // What users do for EC2 when no tool checks keys: accept anything.
    let blind = |host: &str, proto: &str| {
        // socat for the refusals: OpenBSD nc would keep ssh waiting after
        // serve closes the connection.
        let proxy = match proto {
            "socat" => socat(&serve),
            _ => format!(
                "ProxyCommand=nc -X {proto} -x 127.0.0.1:{} %h %p",
                serve.port
            ),
        };
        let mut ssh = sim.ssh_command(Path::new("/dev/null"));
        ssh.args([
            "-v",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            &proxy,
            host,
            "echo",
            "ok",
        ]);
        run(ssh, None)
    };
    for (host, proto) in [
        (web.id.as_str(), "5"),
        ("web", "connect"),
        (web.dns.as_str(), "5"),
        (web.ip.as_str(), "connect"),
    ] {
        let out = blind(host, proto);
        assert!(
            out.status.success(),
            "{host}: {}\n{}",
            stderr(&out),
            serve_log(&sim)
        );
        assert_eq!(stdout(&out).trim(), "ok", "{host}");
    }
    let before = fs::read(&kh).unwrap();
    for host in [evil.id.as_str(), evil.ip.as_str()] {
        let out = blind(host, "socat");
        assert!(!out.status.success(), "{host}");
        let said = stderr(&out);
        // ssh waited for the key exchange reply and never got it.
        assert!(said.contains("expecting SSH2_MSG_KEX_ECDH_REPLY"), "{said}");
        assert!(!said.contains("Server host key:"), "{said}");
        assert!(!stdout(&out).contains("ok"));
    }
    assert_eq!(
        fs::read(&kh).unwrap(),
        before,
        "nothing written for the MITM"
    );
}
