//! Verification behind a carrier ec2-hostkey does not run: the blocks
//! `ssh-config --via ssm` and `ssh-config --proxy-command …` print, used
//! verbatim with `ssh -F`. The carrier is a stand-in that connects to the
//! instance's private sshd (Session Manager's plugin cannot run here): for
//! `--via ssm`, an `aws` on PATH that reads `--target` and `portNumber=` as
//! AWS's command line gives them. ec2-hostkey only verifies, as
//! KnownHostsCommand, and writes no file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::*;

/// A carrier: connects to the address `map` gives for the target and relays
/// stdin/stdout, as `aws ssm start-session` or `ssh -W` would.
const CARRIER: &str = r#"#!/usr/bin/env python3
import json, os, select, socket, sys
args = sys.argv[1:]
if "--target" in args:  # aws ssm start-session --target ID … --parameters portNumber=P
    target = args[args.index("--target") + 1]
    port = int([a for a in args if a.startswith("portNumber=")][0].split("=", 1)[1])
    assert "AWS-StartSSHSession" in args, args
else:  # carrier HOST PORT
    target, port = args[0], int(args[1])
address = json.load(open(os.environ["CARRIER_MAP"]))[target]
s = socket.create_connection((address, port))
fds = [0, s.fileno()]
while fds:
    for fd in select.select(fds, [], [])[0]:
        data = os.read(fd, 65536)
        if fd == 0:
            if data:
                s.sendall(data)
            else:
                s.shutdown(socket.SHUT_WR); fds.remove(0)
        else:
            if data:
                os.write(1, data)
            else:
                sys.exit(0)
"#;

struct Carrier {
    dir: PathBuf,
    map: PathBuf,
}

/// Writes the stand-in as `aws` and as `carrier` in a directory of its own.
fn carrier(sim: &Sim, map: &[(&str, &str)]) -> Carrier {
    let dir = sim.path("carrier-bin");
    fs::create_dir_all(&dir).unwrap();
    for name in ["aws", "carrier"] {
        let path = dir.join(name);
        fs::write(&path, CARRIER).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let map_path = sim.path("carrier-map.json");
    let json: serde_json::Map<String, serde_json::Value> = map
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    fs::write(&map_path, serde_json::to_string(&json).unwrap()).unwrap();
    Carrier { dir, map: map_path }
}

/// `ssh-config ARGS` written to a file, as a user would save it.
fn generated(sim: &Sim, args: &[&str]) -> PathBuf {
    let out = sim.run_bin(&[&["ssh-config", "--bin", BIN][..], args].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let config = sim.path("ssh_config");
    fs::write(&config, &out.stdout).unwrap();
    config
}

fn ssh_through(sim: &Sim, carrier: &Carrier, config: &Path, host: &str) -> std::process::Output {
    let path = format!(
        "{}:{}",
        carrier.dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    sim.ssh_config_env(
        config,
        host,
        &["echo", "ok"],
        &[
            ("PATH", &path),
            ("CARRIER_MAP", carrier.map.to_str().unwrap()),
        ],
    )
}

/// Two private-only instances: `db`, and `evil`, whose sshd presents keys its console does not list.
fn private_pair(sim: &Sim) -> (Launched, Launched) {
    let db = sim.launch(Launch::named("db").tag("sim:public", "none"));
    let evil = sim.launch(
        Launch::named("evil")
            .tag("sim:public", "none")
            .tag("sim:mitm", "true"),
    );
    (db, evil)
}

/// ssh refused the connection: the KnownHostsCommand saw a key the sources do not list.
fn assert_mitm_refused(out: &std::process::Output) {
    assert!(!out.status.success(), "a MITM got through: {}", stdout(out));
    assert!(stderr(out).contains("HOST KEY MISMATCH"), "{}", stderr(out));
    assert!(!stdout(out).contains("ok"), "{}", stdout(out));
}

#[test]
fn session_manager_block_verifies_by_instance_id_and_refuses_a_mitm() {
    let sim = Sim::start();
    let (db, evil) = private_pair(&sim);
    let carrier = carrier(
        &sim,
        &[(&db.id, &db.private_ip), (&evil.id, &evil.private_ip)],
    );
    let kh = sim.path("known_hosts");
    let config = generated(
        &sim,
        &["--via", "ssm", "--known-hosts", kh.to_str().unwrap()],
    );
    let text = fs::read_to_string(&config).unwrap();
    assert!(text.contains("Host i-*\n"), "{text}");
    assert!(
        text.contains("    ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p\n"),
        "{text}"
    );

    let out = ssh_through(&sim, &carrier, &config, &db.id);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(!kh.exists(), "KnownHostsCommand writes no file");

    let out = ssh_through(&sim, &carrier, &config, &evil.id);
    assert_mitm_refused(&out);
    assert!(!kh.exists(), "nothing written on a refusal");
}

#[test]
fn own_carrier_block_verifies_by_instance_id_and_name_tag_and_refuses_a_mitm() {
    let sim = Sim::start();
    let (db, evil) = private_pair(&sim);
    let carrier = carrier(
        &sim,
        &[
            (&db.id, &db.private_ip),
            ("db", &db.private_ip),
            ("evil", &evil.private_ip),
        ],
    );
    let proxy = format!("{} %h %p", carrier.dir.join("carrier").display());
    let config = generated(
        &sim,
        &[
            "--proxy-command",
            &proxy,
            "--pattern",
            "db",
            "--pattern",
            "evil",
        ],
    );
    let text = fs::read_to_string(&config).unwrap();
    assert!(
        text.contains(&format!("    ProxyCommand {proxy}\n")),
        "{text}"
    );
    assert!(text.contains("known-hosts %H %t %K"), "{text}");

    let ssh_dir = sim.home().join(".ssh");
    for host in [db.id.as_str(), "db"] {
        let out = ssh_through(&sim, &carrier, &config, host);
        assert!(out.status.success(), "{host}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
    }
    assert!(
        !ssh_dir.join("known_hosts").exists(),
        "KnownHostsCommand writes no file"
    );

    let out = ssh_through(&sim, &carrier, &config, "evil");
    assert_mitm_refused(&out);
    assert!(
        !ssh_dir.join("known_hosts").exists(),
        "nothing written on a refusal"
    );
}

#[test]
fn eice_block_runs_the_tunnel_with_ssh_config_alone() {
    let sim = Sim::start();
    let db = sim.launch(Launch::named("db").tag("sim:public", "none"));
    sim.create_endpoint(&db.id);
    let kh = sim.path("known_hosts");
    let config = generated(
        &sim,
        &[
            "--nameserver",
            &sim.nameserver(),
            "--via",
            "eice",
            "--known-hosts",
            kh.to_str().unwrap(),
        ],
    );
    let text = fs::read_to_string(&config).unwrap();
    assert!(text.contains("proxy --via=eice"), "{text}");
    let ca = sim.ca_bundle();
    let out = sim.ssh_config_env(
        &config,
        &db.id,
        &["echo", "ok"],
        &[("AWS_CA_BUNDLE", ca.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &db.id), sim.host_keys()[&db.id]);
}
