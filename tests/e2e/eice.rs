//! `proxy --via eice`: private-only instances reached through the testbed's
//! EC2 Instance Connect Endpoint (tests/sim/eice.py: TLS from a test CA given
//! as AWS_CA_BUNDLE, its DNS name from the testbed's DNS server, the presigned
//! URL's SigV4 signature checked with botocore), verified exactly as a direct
//! connection is.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::*;

/// The real ssh, strict host-key checking, through `proxy --via eice`.
fn ssh_eice(
    sim: &Sim,
    host: &str,
    kh: &Path,
    extra: &str,
    remote: &[&str],
    env: &[(&str, &str)],
) -> Output {
    ssh_eice_with(sim, host, kh, extra, remote, env, None)
}

/// [`ssh_eice`] with `stdin` fed to ssh.
fn ssh_eice_with(
    sim: &Sim,
    host: &str,
    kh: &Path,
    extra: &str,
    remote: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&Path>,
) -> Output {
    let proxy = format!(
        "{BIN} proxy --known-hosts {} --via eice --nameserver {} {extra} %h %p",
        kh.display(),
        sim.nameserver()
    );
    let ca = sim.ca_bundle();
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("AWS_CA_BUNDLE", ca.to_str().unwrap()));
    sim.ssh_opts(
        host,
        kh,
        &[format!("ProxyCommand={proxy}")],
        &env,
        remote,
        stdin,
    )
}

/// A failure with this exit code whose message says each of `says`.
fn assert_fails(out: &Output, code: i32, says: &[&str]) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    for text in says {
        assert!(
            stderr(out).contains(text),
            "no {text:?} in: {}",
            stderr(out)
        );
    }
}

/// `proxy --via eice HOST PORT` run alone (as ssh would start it), stdin closed.
fn proxy_eice(sim: &Sim, host: &str, port: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let kh = sim.path("known_hosts");
    let mut cmd = sim.bin();
    cmd.env("AWS_CA_BUNDLE", sim.ca_bundle());
    cmd.envs(env.iter().copied());
    cmd.args([
        "proxy",
        "--known-hosts",
        kh.to_str().unwrap(),
        "--via",
        "eice",
        "--nameserver",
    ])
    .arg(sim.nameserver())
    .args(extra)
    .args([host, port]);
    run(cmd, None)
}

fn private(name: &str) -> Launch {
    Launch::named(name).tag("sim:public", "none")
}

#[test]
fn a_private_instance_is_verified_through_the_endpoint_by_id_and_by_name_tag() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    assert!(db.ip.is_empty(), "the instance must have no public address");
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");

    let out = ssh_eice(&sim, &db.id, &kh, "", &["echo", "ok"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    let keys = sim.host_keys()[&db.id].clone();
    for name in [&db.id, &db.private_dns, &db.private_ip] {
        assert_eq!(
            keygen_find(&kh, name),
            keys,
            "{name} recorded with sshd's keys"
        );
    }
    let calls = sim.calls();
    assert!(
        calls.contains(&"DescribeInstanceConnectEndpoints".to_string()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"ec2-instance-connect:OpenTunnel".to_string()),
        "{calls:?}"
    );

    // Again, warm: the cached endpoint and the verified keys, no API call at all.
    sim.reset_calls();
    let out = ssh_eice(&sim, &db.id, &kh, "", &["echo", "ok"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        sim.calls(),
        vec!["ec2-instance-connect:OpenTunnel".to_string()]
    );

    // By Name tag, into a fresh file: verified, no prompt (BatchMode), recorded under the tag.
    let kh2 = sim.path("known_hosts2");
    let out = ssh_eice(&sim, "db", &kh2, "--no-cache", &["echo", "ok"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh2, "db"), keys);

    // The data path through the tunnel: 20 MB up and back, intact.
    let data = sim.path("data");
    let blob: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    fs::write(&data, &blob).unwrap();
    let out = ssh_eice_with(&sim, &db.id, &kh, "", &["cat"], &[], Some(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stdout == blob,
        "20 MB came back changed ({} bytes)",
        out.stdout.len()
    );
}

#[test]
fn a_man_in_the_middle_behind_the_endpoint_is_refused_with_nothing_written() {
    let sim = Sim::start();
    let db = sim.launch(private("db").tag("sim:mitm", "true"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");
    let out = ssh_eice(&sim, &db.id, &kh, "", &["echo", "ok"], &[]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
    let out = ssh_eice(&sim, "db", &kh, "--no-cache", &["echo", "ok"], &[]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
}

#[test]
fn a_warm_tunnel_to_a_server_with_other_keys_is_refused_with_nothing_written() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");
    let out = ssh_eice(&sim, &db.id, &kh, "", &["echo", "ok"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = fs::read(&kh).unwrap();
    // sshd now presents keys no source lists (the console still shows the old ones).
    sim.rekey_quietly(&db.id);
    let out = ssh_eice(&sim, &db.id, &kh, "", &["echo", "ok"], &[]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, Some(&before));
}

#[test]
fn no_endpoint_in_the_vpc_says_how_to_create_one() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    let out = proxy_eice(&sim, &db.id, "22", &[], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no EC2 Instance Connect Endpoint is ready in vpc-"),
        "{err}"
    );
    assert!(
        err.contains("aws ec2 create-instance-connect-endpoint --subnet-id subnet-"),
        "{err}"
    );
    assert!(!sim.path("known_hosts").exists());

    // An endpoint still being created is not ready either.
    let (id, _) = sim.create_endpoint(&db.id);
    sim.eice(&format!("id={id}&state=create-in-progress"));
    let out = proxy_eice(&sim, &db.id, "22", &[], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // --eice-id naming no endpoint.
    sim.eice(&format!("id={id}&state=create-complete"));
    let out = proxy_eice(
        &sim,
        &db.id,
        "22",
        &["--eice-id", "eice-0000000000000000f"],
        &[],
    );
    assert_fails(
        &out,
        3,
        &["no EC2 Instance Connect Endpoint eice-0000000000000000f"],
    );
}

#[test]
fn refusals_by_the_endpoint_name_the_cause_and_exit_codes() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");

    sim.eice("deny=1");
    let out = proxy_eice(&sim, &db.id, "22", &[], &[]);
    assert_fails(
        &out,
        6,
        &[
            "access denied: the caller needs ec2-instance-connect:OpenTunnel",
            "allow ec2-instance-connect:OpenTunnel",
        ],
    );
    sim.eice("deny=0");

    // Signed with the wrong secret: the endpoint's signature check fails.
    let out = proxy_eice(
        &sim,
        &db.id,
        "22",
        &[],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
    );
    assert_fails(&out, 6, &["refused the tunnel's signature"]);

    // The endpoint's clock is two minutes ahead: the 60 s signature has expired.
    sim.eice("skew=120");
    let out = proxy_eice(&sim, &db.id, "22", &[], &[]);
    assert_fails(
        &out,
        6,
        &["signature has expired", "check this machine's clock"],
    );
    sim.eice("skew=0");

    // Ports other than 22 and 3389 never leave the machine.
    sim.reset_calls();
    let out = proxy_eice(&sim, &db.id, "2222", &[], &[]);
    assert_fails(&out, 2, &["ports 22 and 3389 only, not 2222"]);
    assert!(sim.calls().is_empty(), "{:?}", sim.calls());

    // Without the test CA, the endpoint's certificate is not trusted, and
    // the presigned URL (a credential) is never sent.
    sim.reset_calls();
    let out = proxy_eice(&sim, &db.id, "22", &[], &[("AWS_CA_BUNDLE", "")]);
    assert_fails(&out, 1, &["cannot reach the EIC Endpoint"]);
    assert!(
        !sim.calls()
            .contains(&"ec2-instance-connect:OpenTunnel".to_string()),
        "the URL reached a server whose certificate was not trusted"
    );

    // A CA bundle others may write to would let them plant a CA: refused.
    let bundle = sim.path("shared-ca.pem");
    fs::copy(sim.ca_bundle(), &bundle).unwrap();
    fs::set_permissions(&bundle, std::os::unix::fs::PermissionsExt::from_mode(0o664)).unwrap();
    let out = proxy_eice(
        &sim,
        &db.id,
        "22",
        &[],
        &[("AWS_CA_BUNDLE", bundle.to_str().unwrap())],
    );
    assert_fails(&out, 2, &["AWS_CA_BUNDLE", "group- or world-writable"]);

    // --eice-id naming another VPC's endpoint: that VPC may use the same addresses.
    let elsewhere = sim.endpoint_in_another_vpc();
    let out = proxy_eice(&sim, &db.id, "22", &["--eice-id", &elsewhere], &[]);
    assert_fails(&out, 2, &[&format!("endpoint {elsewhere} is in vpc-")]);
    assert!(!kh.exists(), "nothing written on any refusal");
}

#[test]
fn an_endpoint_that_accepts_and_stalls_does_not_hold_ssh_forever() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    let (_, dns) = sim.create_endpoint(&db.id);
    // DNS (which an attacker may answer) points the endpoint's name at a
    // server that accepts and never speaks.
    let stall = format!(
        "127.{}.{}.7",
        1 + std::process::id() % 90,
        (std::process::id() / 90) % 250
    );
    let listener = std::net::TcpListener::bind((stall.as_str(), 443)).unwrap();
    sim.dns(&dns, &stall);
    let started = std::time::Instant::now();
    let out = proxy_eice(&sim, &db.id, "22", &[], &[]);
    drop(listener);
    assert_fails(&out, 1, &["no answer within"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(!sim.path("known_hosts").exists());
}

#[test]
fn a_tunnel_ended_by_the_endpoint_says_why() {
    let sim = Sim::start();
    let db = sim.launch(private("db"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");

    let out = ssh_eice(
        &sim,
        &db.id,
        &kh,
        "--max-tunnel-duration 2s",
        &["sleep 4; echo late"],
        &[],
    );
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("late"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the EIC Endpoint closed the tunnel after 2 s, its maximum duration"),
        "{}",
        stderr(&out)
    );

    let cutter = {
        let port = sim.port;
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            use std::io::{Read, Write};
            write!(s, "GET /_sim/eice?cut=1 HTTP/1.0\r\n\r\n").unwrap();
            let mut sink = String::new();
            let _ = s.read_to_string(&mut sink);
        })
    };
    let out = ssh_eice(&sim, &db.id, &kh, "", &["sleep 5; echo late"], &[]);
    cutter.join().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "the EIC Endpoint closed the tunnel (code 1011: Tunnel closed by the service)"
        ),
        "{}",
        stderr(&out)
    );
}
