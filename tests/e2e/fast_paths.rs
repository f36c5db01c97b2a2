//! The verified-key cache, the warm path, `known-hosts` mode and `--fdpass`.

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// An endpoint nothing listens on: any AWS call through it fails.
/// Makes every EC2 call the tool could make fail (HTTP 503), while keeping
/// the user's settings as they are (another endpoint would be another cache
/// scope): only the cache can then make a connection work, and any call
/// still shows in `/_sim/calls`.
fn api_down(sim: &Sim) {
    for action in [
        "DescribeInstances",
        "GetConsoleOutput",
        "DescribeInstanceAttribute",
        "DescribeRegions",
    ] {
        sim.fault(action, "unavailable", None);
    }
}

fn proxy_opt(kh: &std::path::Path, extra: &str) -> String {
    format!(
        "ProxyCommand={BIN} proxy --known-hosts {} {extra} %h %p",
        kh.display()
    )
}

#[test]
fn warm_proxy_makes_no_aws_request() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    assert_eq!(
        sim.calls(),
        ["RunInstances", "DescribeInstances", "GetConsoleOutput"]
    );
    sim.reset_calls();

    // With the API unreachable, only the cache can make this work.
    api_down(&sim);
    let out = sim.ssh_opts(
        "web",
        &kh,
        &[proxy_opt(&kh, "")],
        &[],
        &["echo", "ok"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(
        sim.calls().is_empty(),
        "warm path called AWS: {:?}",
        sim.calls()
    );
    assert_eq!(keygen_find(&kh, "web"), sim.keyscan(&web.ip));

    // --no-cache goes to the API every time.
    let out = sim.ssh_opts(
        "web",
        &kh,
        &[proxy_opt(&kh, "--no-cache")],
        &[],
        &["true"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ec2:DescribeInstances"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        sim.calls().first().map(String::as_str),
        Some("DescribeInstances")
    );
}

#[test]
fn warm_cache_never_vouches_for_a_recycled_address() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("old"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok(&old.ip, &kh);
    sim.terminate(&old.id);
    let new = sim.launch(Launch::named("new").tag("sim:address", &old.ip));
    sim.reset_calls();

    sim.ssh_ok(&new.ip, &kh);
    assert!(
        sim.calls().contains(&"GetConsoleOutput".to_string()),
        "the new server's key was not in the cache, so it must be verified afresh"
    );
    assert_eq!(keygen_find(&kh, &new.ip), sim.keyscan(&new.ip));
}

#[test]
fn warm_cache_refuses_a_mitm_at_the_cached_address() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok(&web.ip, &kh);
    sim.terminate(&web.id);
    // Same address, and the console (what AWS vouches for) does not list the server's key.
    sim.launch(
        Launch::named("evil")
            .tag("sim:address", &web.ip)
            .tag("sim:mitm", "true"),
    );
    let before = fs::read(&kh).unwrap();
    let out = sim.ssh(&web.ip, &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, Some(&before));
}

#[test]
fn corrupt_cache_files_are_ignored_and_rebuilt() {
    let sim = Sim::start();
    sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    let cache = sim.home().join(".cache/ec2-hostkey");
    for dir in ["instances", "names"] {
        for entry in fs::read_dir(cache.join(dir)).unwrap() {
            fs::write(entry.unwrap().path(), b"\x00garbage{").unwrap();
        }
    }
    sim.reset_calls();
    sim.ssh_ok("web", &kh);
    assert!(
        sim.calls().contains(&"GetConsoleOutput".to_string()),
        "corrupt records are not trusted"
    );
    sim.reset_calls();
    sim.ssh_ok("web", &kh);
    assert!(
        sim.calls().is_empty(),
        "rebuilt cache serves the next connection"
    );
}

fn known_hosts_command(extra: &str) -> String {
    format!("KnownHostsCommand={BIN} known-hosts {extra} %H %t %K")
}

#[test]
fn known_hosts_mode_verifies_and_writes_nothing() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let out = sim.ssh_opts(
        &web.ip,
        &kh,
        &[known_hosts_command("")],
        &[],
        &["echo", "ok"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(!kh.exists(), "known-hosts mode must not write known_hosts");
    assert!(
        !sim.home().join(".ssh").exists(),
        "nor anything under ~/.ssh"
    );

    // Second connection: answered from the cache, no AWS request at all.
    sim.reset_calls();
    api_down(&sim);
    let out = sim.ssh_opts(
        &web.ip,
        &kh,
        &[known_hosts_command("")],
        &[],
        &["echo", "ok"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sim.calls().is_empty());
}

#[test]
fn known_hosts_mode_follows_a_recycled_address_and_refuses_mitm() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("old"));
    let kh = sim.path("known_hosts");
    let ok = |host: &str| {
        sim.ssh_opts(
            host,
            &kh,
            &[known_hosts_command("")],
            &[],
            &["echo", "ok"],
            None,
        )
    };
    assert!(ok(&old.ip).status.success());
    sim.terminate(&old.id);
    sim.launch(Launch::named("new").tag("sim:address", &old.ip));
    let out = ok(&old.ip);
    assert!(
        out.status.success(),
        "recycled address verified afresh: {}",
        stderr(&out)
    );

    let mitm = sim.launch(Launch::named("mitm").tag("sim:mitm", "true"));
    let out = ok(&mitm.ip);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
}

#[test]
fn known_hosts_order_call_answers_from_cache_only() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.reset_calls();
    let out = sim.run_bin(&["known-hosts", &web.ip, "NONE", "NONE"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(sim.calls().is_empty(), "ORDER must not touch the network");

    let kh = sim.path("known_hosts");
    sim.ssh_ok(&web.ip, &kh);
    let out = sim.run_bin(&["known-hosts", &web.ip, "NONE", "NONE"]);
    let mut lines: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    lines.sort();
    assert_eq!(lines, sim.keyscan(&web.ip));
    assert!(
        stdout(&out)
            .lines()
            .all(|l| l.starts_with(&format!("{} ", web.ip)))
    );
}

#[test]
fn known_hosts_leaves_non_ec2_hosts_to_the_files() {
    let sim = Sim::start();
    let out = sim.run_bin(&[
        "known-hosts",
        "example.internal.corp",
        "ssh-ed25519",
        "AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy",
    ]);
    assert!(
        out.status.success(),
        "a non-EC2 host must not abort ssh: {}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn fdpass_carries_50_mb_and_verifies_cold_and_warm() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let src = sim.path("upload.bin");
    let data: Vec<u8> = (0..50_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    fs::write(&src, &data).unwrap();
    let opts = [proxy_opt(&kh, "--fdpass"), "ProxyUseFdpass=yes".to_string()];
    let out = sim.ssh_opts("web", &kh, &opts, &[], &["cat"], Some(&src));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == data, "50 MB differ through fd passing");
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));

    sim.reset_calls();
    api_down(&sim);
    let out = sim.ssh_opts("web", &kh, &opts, &[], &["echo", "ok"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sim.calls().is_empty());
}

#[test]
fn fdpass_refuses_mitm_before_handing_over_the_socket() {
    let sim = Sim::start();
    let mitm = sim.launch(Launch::named("mitm").tag("sim:mitm", "true"));
    let kh = sim.path("known_hosts");
    let opts = [proxy_opt(&kh, "--fdpass"), "ProxyUseFdpass=yes".to_string()];
    let out = sim.ssh_opts(&mitm.ip, &kh, &opts, &[], &["echo", "ok"], None);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
}

/// Drives the proxy with the probe's client hello (version, KEXINIT, ECDH init),
/// then half-closes: EOF on the proxy's stdin must reach sshd, whose close
/// must come back as EOF on the proxy's stdout, and the proxy must exit 0.
#[test]
fn half_close_propagates_both_ways() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    for relay in ["splice", "copy"] {
        half_close_through(&sim, &web, relay);
    }
}

fn half_close_through(sim: &Sim, web: &Launched, relay: &str) {
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(sim.env())
        .args(["proxy", "--relay", relay, "--known-hosts"])
        .arg(sim.path("kh"))
        .args([web.ip.as_str(), "22"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(&ec2_hostkey::net::kex::client_hello(Some("ssh-ed25519")))
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Read until the server's reply has come through (the proxy verified it).
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    while !contains(&got, b"ssh-ed25519") && started.elapsed() < Duration::from_secs(20) {
        let n = stdout.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "proxy closed early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"SSH-2.0-"));
    drop(stdin); // half-close towards the server
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap(); // returns only once the proxy closed stdout
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "proxy did not exit after both directions closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut errors = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    assert!(
        status.success(),
        "{relay}: proxy failed ({status}): {errors}"
    );
    assert_eq!(keygen_find(&sim.path("kh"), &web.ip), sim.keyscan(&web.ip));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
