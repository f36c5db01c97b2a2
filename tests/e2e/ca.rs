//! Host certificates from verified keys (`ca`, `certify`): plain ssh with
//! nothing but the CA's `@cert-authority` line, no ProxyCommand and strict
//! checking, reaches a certified instance by its id, DNS name and address;
//! a name the certificate does not carry, an expired certificate and a
//! revoked key are refused by ssh itself; a key no source vouches for is
//! never signed.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;

/// `ca init`, and the `@cert-authority` line `ca show` prints (also for
/// addresses on this testbed: 127.*).
fn make_ca(sim: &Sim) -> String {
    let out = sim.run_bin(&["ca", "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("@cert-authority i-*,"),
        "{}",
        stdout(&out)
    );
    let out = sim.run_bin(&["ca", "show", "--pattern", "127.*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

/// `certify ID --out DIR` (plus `extra`); the certificates written.
fn certify(sim: &Sim, id: &str, extra: &[&str]) -> (std::process::Output, Vec<String>) {
    let dir = sim.path("certs");
    let mut args = vec!["certify", id, "--out", dir.to_str().unwrap()];
    args.extend(extra);
    let out = sim.run_bin(&args);
    let mut certs: Vec<String> = fs::read_dir(dir.join(id))
        .map(|entries| {
            entries
                .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    certs.sort();
    (out, certs)
}

/// Plain ssh: no ProxyCommand, strict checking, `known_hosts` only;
/// `alias` is the name ssh checks the key (and the certificate) for.
fn plain_ssh(sim: &Sim, ip: &str, alias: Option<&str>, known_hosts: &Path) -> std::process::Output {
    let mut ssh = sim.ssh_command(Path::new("/dev/null"));
    ssh.args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()));
    if let Some(alias) = alias {
        ssh.args(["-o", &format!("HostKeyAlias={alias}")]);
    }
    ssh.args([ip, "echo", "ok"]);
    run(ssh, None)
}

fn written(path: PathBuf, line: &str) -> PathBuf {
    fs::write(&path, format!("{line}\n")).unwrap();
    path
}

#[test]
fn plain_ssh_with_only_the_ca_line_reaches_a_certified_instance_by_id_dns_name_and_address() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let ca_line = make_ca(&sim);
    let (out, certs) = certify(&sim, &web.id, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        certs.len(),
        sim.host_keys()[&web.id].len(),
        "one per host key"
    );
    assert!(
        stderr(&out).contains("the live server checked"),
        "{}",
        stderr(&out)
    );
    sim.install_host_certificates(&web.id, &certs);

    let kh = written(sim.path("ca_known_hosts"), &ca_line);
    for (alias, what) in [
        (Some(web.id.as_str()), "id"),
        (Some(web.dns.as_str()), "DNS name"),
        (None, "address"),
    ] {
        let out = plain_ssh(&sim, &web.ip, alias, &kh);
        assert!(out.status.success(), "by {what}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
    }
    // The Name tag is no principal: anyone who may tag could move it.
    let out = plain_ssh(&sim, &web.ip, Some(&sim.name("web")), &kh);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Host key verification failed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(&kh).unwrap(),
        format!("{ca_line}\n"),
        "ssh added nothing"
    );

    // ssh-keygen reads what was signed: host certificate, key id, principals.
    let listed = std::process::Command::new("ssh-keygen")
        .args(["-L", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(certs[0].as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.contains("host certificate"), "{listed}");
    assert!(
        listed.contains(&format!("Key ID: \"ec2-hostkey:{}\"", web.id)),
        "{listed}"
    );
    // Private names repeat in every VPC with the same range: not by default.
    assert!(!listed.contains(&web.private_ip), "{listed}");
    for principal in [&web.id, &web.dns, &web.ip] {
        assert!(
            listed.contains(&format!("\n                {principal}\n")),
            "{principal}: {listed}"
        );
    }

    // Revoked: ssh refuses the key, certified or not, and certify will not sign it.
    let out = sim.run_bin(&[
        "ca",
        "revoke",
        "--known-hosts",
        kh.to_str().unwrap(),
        certs[0].trim(),
    ]);
    assert!(!out.status.success(), "a certificate is no key");
    // By instance id: the keys certify signed for it (its log; this
    // known_hosts never held them).
    let out = sim.run_bin(&[
        "ca",
        "revoke",
        "--known-hosts",
        kh.to_str().unwrap(),
        &web.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let revoked = fs::read_to_string(&kh).unwrap();
    for key in &sim.host_keys()[&web.id] {
        assert!(
            revoked.contains(&format!("@revoked * {key}")),
            "{key}: {revoked}"
        );
    }
    let out = plain_ssh(&sim, &web.ip, Some(&web.id), &kh);
    assert!(!out.status.success(), "revoked keys are refused");
    assert!(stderr(&out).contains("REVOKED"), "{}", stderr(&out));
    let (out, _) = certify(&sim, &web.id, &["--known-hosts", kh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
}

#[test]
fn private_names_only_when_asked_and_an_unreachable_server_only_when_allowed() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let quiet = sim.launch(Launch::named("quiet").tag("sim:sshd", "off"));
    make_ca(&sim);
    let (out, _) = certify(&sim, &web.id, &["--private-principals", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let principals = report[0]["principals"].as_array().unwrap();
    assert!(
        principals.contains(&serde_json::json!(web.private_ip)),
        "{principals:?}"
    );
    assert_eq!(report[0]["live_checked"], true);
    // Its sshd does not answer: nothing is signed unless asked for.
    let (out, certs) = certify(&sim, &quiet.id, &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--allow-unreachable"),
        "{}",
        stderr(&out)
    );
    assert!(certs.is_empty());
    let (out, certs) = certify(&sim, &quiet.id, &["--allow-unreachable"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!certs.is_empty());
    assert!(stderr(&out).contains("not checked"), "{}", stderr(&out));
}

#[test]
fn an_expired_certificate_is_refused_by_ssh() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let ca_line = make_ca(&sim);
    let (out, certs) = certify(&sim, &web.id, &["--validity", "2s"]);
    assert!(out.status.success(), "{}", stderr(&out));
    sim.install_host_certificates(&web.id, &certs);
    let kh = written(sim.path("ca_known_hosts"), &ca_line);
    std::thread::sleep(std::time::Duration::from_secs(4));
    let out = plain_ssh(&sim, &web.ip, Some(&web.id), &kh);
    assert!(!out.status.success(), "expired");
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
}

#[test]
fn a_key_no_source_vouches_for_is_never_signed() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let evil = sim.launch(Launch::named("evil").tag("sim:mitm", "true"));
    make_ca(&sim);
    // Several targets: the MITM among them, so nothing at all is written.
    let dir = sim.path("certs");
    let out = sim.run_bin(&["certify", &web.id, &evil.id, "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains(&evil.id), "{}", stderr(&out));
    assert!(!dir.exists(), "nothing written");
    // Without a CA, nothing is signed either, and the error says how to make one.
    let out = sim.run_bin(&[
        "certify",
        &web.id,
        "--ca",
        sim.path("nope").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ca init"), "{}", stderr(&out));
}

#[test]
fn the_ca_key_is_private_and_never_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start();
    let key = sim.path("ca");
    let out = sim.run_bin(&["ca", "init", "--out", key.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = fs::read(&key).unwrap();
    let out = sim.run_bin(&["ca", "init", "--out", key.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(fs::read(&key).unwrap(), before, "the CA is kept");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let out = sim.run_bin(&["ca", "show", "--ca", key.to_str().unwrap()]);
    assert!(!out.status.success(), "a CA key others can read is refused");
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
}

const INSTALL_DOCUMENT: &str = "ec2-hostkey-InstallHostCertificates";

#[test]
fn install_through_systems_manager_puts_certificates_where_sshd_presents_them() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web").tag("sim:ssm", "online"));
    let ca_line = make_ca(&sim);
    // A document under the name that is not the tool's is refused: nothing
    // is sent, and the certificates are still written.
    let forged = r#"{"schemaVersion": "2.2", "description": "x", "parameters": {"ed25519": {"type": "String"}}, "mainSteps": []}"#;
    sim.create_ssm_document(INSTALL_DOCUMENT, forged);
    let (out, certs) = certify(&sim, &web.id, &["--install"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is not ec2-hostkey's install document"),
        "{}",
        stderr(&out)
    );
    assert!(!certs.is_empty(), "signed and written before the install");
    let kh = written(sim.path("ca_known_hosts"), &ca_line);
    assert!(
        !plain_ssh(&sim, &web.ip, Some(&web.id), &kh)
            .status
            .success(),
        "not installed"
    );

    let document = sim.run_bin(&["ssm-document", "--certify"]);
    assert!(document.status.success());
    sim.create_ssm_document("team-InstallHostCertificates", &stdout(&document));
    let (out, _) = certify(
        &sim,
        &web.id,
        &[
            "--install",
            "--install-document",
            "team-InstallHostCertificates",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("its sshd presents the new certificate"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report[0]["installed"], true);
    assert_eq!(report[0]["instance"], web.id.as_str());

    // What the server now presents, as fetch reports it: our certificate.
    let out = sim.run_bin(&["fetch", "--json", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fetched: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let presented = &fetched[0]["presented"];
    assert_eq!(presented["kind"], "certificate", "{presented}");
    assert_eq!(
        presented["certificate"]["key_id"],
        format!("ec2-hostkey:{}", web.id)
    );
    assert_eq!(presented["verified"], true);
    let out = plain_ssh(&sim, &web.ip, Some(&web.id), &kh);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The install document's script, run for real by sh with /etc/ssh moved
/// into a temporary directory and sshd and systemctl stood in for: it
/// writes exactly the certificate files and the drop-in, checks with
/// `sshd -t`, reloads, and undoes the drop-in when `sshd -t` refuses.
#[test]
fn the_install_documents_script_writes_exactly_its_files() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    make_ca(&sim);
    let (out, certs) = certify(&sim, &web.id, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ed25519 = certs
        .iter()
        .find(|c| c.starts_with("ssh-ed25519-cert"))
        .expect("an ed25519 certificate");
    let ed25519: Vec<&str> = ed25519.split_whitespace().take(2).collect();
    let document = sim.run_bin(&["ssm-document", "--certify"]);
    let document: serde_json::Value = serde_json::from_str(&stdout(&document)).unwrap();
    let script: Vec<String> = document["mainSteps"][0]["inputs"]["runCommand"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();

    let run_with = |certificate: &str, sshd_ok: bool| {
        let root = tempfile::tempdir().unwrap();
        let etc = root.path().join("ssh");
        fs::create_dir_all(etc.join("sshd_config.d")).unwrap();
        for key in &sim.host_keys()[&web.id] {
            let kind = match key.split_whitespace().next().unwrap() {
                "ssh-ed25519" => "ed25519",
                "ssh-rsa" => "rsa",
                _ => "ecdsa",
            };
            fs::write(
                etc.join(format!("ssh_host_{kind}_key.pub")),
                format!("{key}\n"),
            )
            .unwrap();
        }
        let bin = root.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let log = root.path().join("calls");
        for (name, code) in [("sshd", if sshd_ok { 0 } else { 1 }), ("systemctl", 0)] {
            let stub = bin.join(name);
            fs::write(
                &stub,
                format!(
                    "#!/bin/sh\necho {name} \"$@\" >> {}\nexit {code}\n",
                    log.display()
                ),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let text = script
            .join("\n")
            .replace("/etc/ssh", etc.to_str().unwrap())
            .replace("{{ ed25519 }}", certificate)
            .replace("{{ ecdsa }}", "")
            .replace("{{ rsa }}", "");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&text)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .output()
            .unwrap();
        let mut files: Vec<String> = walk(&etc);
        files.sort();
        (
            out,
            files,
            fs::read_to_string(&log).unwrap_or_default(),
            etc,
            root,
        )
    };
    let run_script = |sshd_ok: bool| run_with(&ed25519.join(" "), sshd_ok);

    let (out, files, calls, etc, _root) = run_script(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "installed");
    let pubs = files.iter().filter(|f| f.ends_with("_key.pub")).count();
    assert_eq!(pubs, sim.host_keys()[&web.id].len());
    let ours: Vec<&String> = files.iter().filter(|f| !f.ends_with("_key.pub")).collect();
    assert_eq!(
        ours,
        [
            "ssh_host_ed25519_key-cert.pub",
            "sshd_config.d/60-ec2-hostkey-certificates.conf"
        ],
        "exactly its files, no leftovers"
    );
    assert_eq!(
        fs::read_to_string(etc.join("ssh_host_ed25519_key-cert.pub")).unwrap(),
        format!("{}\n", ed25519.join(" "))
    );
    assert_eq!(
        fs::read_to_string(etc.join("sshd_config.d/60-ec2-hostkey-certificates.conf")).unwrap(),
        format!(
            "HostCertificate {}/ssh_host_ed25519_key-cert.pub\n",
            etc.display()
        )
    );
    assert_eq!(calls, "sshd -t\nsystemctl reload ssh\n");

    // sshd -t refuses: the drop-in is removed, nothing reloaded, a failure.
    let (out, files, calls, _, _root) = run_script(false);
    assert!(!out.status.success());
    assert!(
        !files.iter().any(|f| f.starts_with("sshd_config.d/6")),
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.contains("-cert.pub")), "{files:?}");
    assert_eq!(calls, "sshd -t\n");
    // A certificate over some other key is refused before anything moves.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other");
    let other_pub = format!("{}.pub", other.display());
    for args in [
        vec![
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            other.to_str().unwrap(),
        ],
        vec![
            "-q",
            "-s",
            other.to_str().unwrap(),
            "-I",
            "x",
            "-h",
            "-n",
            "x",
            &other_pub,
        ],
    ] {
        let status = std::process::Command::new("ssh-keygen")
            .args(&args)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let foreign = fs::read_to_string(format!("{}-cert.pub", other.display())).unwrap();
    let foreign: Vec<&str> = foreign.split_whitespace().take(2).collect();
    let (out, files, calls, _, _root) = run_with(&foreign.join(" "), true);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(said.contains("is not for"), "{said}");
    let moved = |f: &String| f.contains("-cert.pub") || f.starts_with("sshd_config.d/6");
    assert!(!files.iter().any(moved), "{files:?}");
    assert_eq!(calls, "");
    // No certificate at all: nothing to do is an error, not an empty drop-in.
    let (out, files, _, _, _root) = run_with("", true);
    assert!(!out.status.success());
    assert!(!files.iter().any(moved), "{files:?}");
}

/// The files under `dir`, relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            found.extend(walk(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            found.push(path.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    found
}

#[test]
fn sync_certify_renews_what_is_missing_or_ending_and_leaves_current_certificates() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web").tag("sim:ssm", "online"));
    let db = sim.launch(Launch::named("db").tag("sim:ssm", "online"));
    let ca_line = make_ca(&sim);
    let document = sim.run_bin(&["ssm-document", "--certify"]);
    sim.create_ssm_document(INSTALL_DOCUMENT, &stdout(&document));
    // A seed's certificate names only what was chosen before launch.
    let (seed_id, user_data) = sim.seed(&["--ca", "--principal", "seeded.example.internal"]);
    let seeded = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("seeded")
            .tag("ec2-hostkey:seed", &seed_id)
            .tag("sim:ssm", "online")
    });
    // db gets a certificate about to end; web none at all.
    let (out, _) = certify(&sim, &db.id, &["--install", "--validity", "60s"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kh = sim.path("kh");
    let sync = |extra: &[&str]| {
        let mut args = vec![
            "sync",
            "--certify",
            "--json",
            "--known-hosts",
            kh.to_str().unwrap(),
        ];
        args.extend(extra);
        sim.run_bin(&args)
    };
    let out = sync(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let status = |id: &str| {
        report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instance"] == id)
            .map(|i| i["certificate"].as_str().unwrap_or_default().to_string())
            .unwrap()
    };
    assert!(
        status(&web.id).starts_with("renewed (its sshd presents no certificate)"),
        "{report}"
    );
    assert!(
        status(&db.id).starts_with("renewed (its certificate (serial"),
        "{report}"
    );
    assert!(status(&seeded.id).contains("does not name"), "{report}");
    let ca_kh = written(sim.path("ca_known_hosts"), &ca_line);
    for instance in [&web, &db, &seeded] {
        let out = plain_ssh(&sim, &instance.ip, Some(&instance.id), &ca_kh);
        assert!(out.status.success(), "{}: {}", instance.id, stderr(&out));
    }
    // Again: both current, nothing sent.
    sim.reset_calls();
    let out = sync(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for instance in report["instances"].as_array().unwrap() {
        assert_eq!(instance["certificate"], "current", "{instance}");
    }
    assert!(
        !sim.calls().iter().any(|c| c == "SendCommand"),
        "{:?}",
        sim.calls()
    );
}

#[test]
fn sync_certify_reports_an_instance_it_cannot_renew_and_fails() {
    let sim = Sim::start();
    let lone = sim.launch(Launch::named("lone"));
    make_ca(&sim);
    let kh = sim.path("kh");
    let out = sim.run_bin(&[
        "sync",
        "--certify",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("could not get a new certificate"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let lone_report = &report["instances"][0];
    assert_eq!(lone_report["instance"], lone.id.as_str());
    let status = lone_report["certificate"].as_str().unwrap();
    assert!(status.starts_with("failed: "), "{status}");
    assert!(status.contains("Systems Manager"), "{status}");
    // Its keys were still verified and recorded: certificates come on top.
    assert!(!keygen_find(&kh, &lone.ip).is_empty());
}

#[test]
fn ssh_config_ca_trusts_the_ca_for_the_blocks_names_and_keeps_the_proxy_for_the_rest() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let plain = sim.launch(Launch::named("plain"));
    make_ca(&sim);
    let (out, certs) = certify(&sim, &web.id, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    sim.install_host_certificates(&web.id, &certs);

    // The CA's public key is all a client machine needs.
    let public = sim.home().join(".local/share/ec2-hostkey/host_ca.pub");
    let ca_arg = format!("--ca={}", public.display());
    let out = sim.run_bin(&["ssh-config", &ca_arg, "--pattern", "127.*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let block = stdout(&out);
    let out = sim.run_bin(&["ssh-config", "--ca", "--pattern", "*"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        block.contains(
            "    UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/ec2-hostkey_ca_known_hosts\n"
        ),
        "{block}"
    );
    assert!(
        block.contains("    ProxyCommand "),
        "the proxy stays: {block}"
    );
    // The CA's line, for exactly the block's patterns, where ssh reads it.
    let ca_file = sim.home().join(".ssh/ec2-hostkey_ca_known_hosts");
    let written = fs::read_to_string(&ca_file).unwrap();
    let host_line = block.lines().find(|l| l.starts_with("Host ")).unwrap();
    let patterns = host_line
        .trim_start_matches("Host ")
        .split(' ')
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        written.contains(&format!("@cert-authority {patterns} ssh-ed25519 ")),
        "{written}"
    );
    let config = sim.path("ssh_config");
    fs::write(&config, &block).unwrap();

    // Certified: ssh accepts the certificate through the CA line.
    let verbose = |ip: &str| {
        let mut ssh = std::process::Command::new("ssh");
        ssh.env_clear()
            .envs(sim.env())
            .arg("-F")
            .arg(&config)
            .arg("-i")
            .arg(sim.client_key());
        ssh.args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-v",
        ]);
        ssh.args([
            "-p",
            &sim.ssh_port.to_string(),
            "-l",
            &user(),
            ip,
            "echo",
            "ok",
        ]);
        run(ssh, None)
    };
    let out = verbose(&web.ip);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("matches the ED25519-CERT host certificate"),
        "{}",
        stderr(&out)
    );
    // Not certified: the proxy verifies and records, as without --ca.
    let out = verbose(&plain.ip);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(
        !stderr(&out).contains("host certificate"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn seed_ca_certifies_the_new_keys_for_names_chosen_before_launch() {
    let sim = Sim::start();
    make_ca(&sim);
    let ca_line = {
        let out = sim.run_bin(&["ca", "show", "--pattern", "db.example.internal"]);
        stdout(&out).trim().to_string()
    };
    for format in ["cloud-config", "script"] {
        let (id, user_data) = sim.seed(&[
            "--format",
            format,
            "--ca",
            "--principal",
            "db.example.internal",
        ]);
        assert!(user_data.contains("-cert-v01@openssh.com "), "{user_data}");
        let db = sim.launch(Launch {
            user_data: Some(user_data),
            ..Launch::named(&format!("db-{format}")).tag("ec2-hostkey:seed", &id)
        });
        let kh = written(sim.path(&format!("ca_known_hosts_{format}")), &ca_line);
        // The name chosen before launch: ssh accepts the certificate.
        let out = plain_ssh(&sim, &db.ip, Some("db.example.internal"), &kh);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        // The instance's own names are not on it (unknown at seed time).
        let out = plain_ssh(&sim, &db.ip, Some(&db.id), &kh);
        assert!(
            !out.status.success(),
            "{format}: the id is no principal yet"
        );
        // Revoked by the seed's id (the CA's log): refused from then on.
        let out = sim.run_bin(&["ca", "revoke", "--known-hosts", kh.to_str().unwrap(), &id]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = plain_ssh(&sim, &db.ip, Some("db.example.internal"), &kh);
        assert!(!out.status.success(), "{format}: revoked");
    }
    // --ca needs at least one name, and no wildcard.
    let out = sim.run_bin(&["seed", "--output", sim.path("ud").to_str().unwrap(), "--ca"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // One name per --principal: a wildcard, or a comma (two names to
    // ssh-keygen, one to ssh-key), is refused.
    let ud = sim.path("ud");
    for bad in ["*.example.internal", "a.example,b.example"] {
        let out = sim.run_bin(&[
            "seed",
            "--output",
            ud.to_str().unwrap(),
            "--ca",
            "--principal",
            bad,
        ]);
        assert!(!out.status.success(), "{bad}");
        assert!(stderr(&out).contains("one name"), "{bad}: {}", stderr(&out));
    }
}

#[test]
fn a_ca_key_held_by_ssh_agent_signs_without_touching_the_disk() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let sock = sim.path("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let key = sim.path("token_ca");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f", key.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(keygen.success());
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(added.success());
    // The private half is only in the agent now, as on a hardware token.
    fs::remove_file(&key).unwrap();
    let with_agent = |args: &[&str]| {
        let mut cmd = sim.bin();
        cmd.args(args).env("SSH_AUTH_SOCK", &sock);
        run(cmd, None)
    };
    let out = with_agent(&["ca", "init", "--agent"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let public = fs::read_to_string(format!("{}.pub", key.display())).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    assert!(stdout(&out).contains(&public.join(" ")), "{}", stdout(&out));
    let dir = sim.path("certs");
    let out = with_agent(&["certify", &web.id, "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let certs: Vec<String> = fs::read_dir(dir.join(&web.id))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    sim.install_host_certificates(&web.id, &certs);
    let ca_line = stdout(&with_agent(&["ca", "show", "--pattern", "127.*"]))
        .trim()
        .to_string();
    let kh = written(sim.path("ca_known_hosts"), &ca_line);
    let out = plain_ssh(&sim, &web.ip, Some(&web.id), &kh);
    assert!(out.status.success(), "{}", stderr(&out));
    // Without the agent, nothing is signed, and the error says why.
    let out = sim.run_bin(&["certify", &web.id]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ssh-agent"), "{}", stderr(&out));
    let _ = agent.kill();
    let _ = agent.wait();
}

/// paramiko given the CA line. paramiko negotiates host certificates but
/// does not check them against an `@cert-authority` line
/// (paramiko/paramiko#771), so this client does what OpenSSH does with the
/// line, as paramiko users who trust a host CA write it (pyinfra does the
/// same): the certificate's CA is the line's, its signature verifies
/// (cryptography's own SSH certificate code), it is a host certificate
/// naming the host, now; only then does it authenticate.
const PARAMIKO_CA: &str = r#"
import base64, fnmatch, socket, sys, time, paramiko
from cryptography.hazmat.primitives import serialization
ip, name, ca_line, key_path, user = sys.argv[1:6]
marker, patterns, ca_type, ca_data = ca_line.split()[:4]
ca = serialization.load_ssh_public_key(f"{ca_type} {ca_data}".encode())
raw = serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
def refuse(why):
    print(f"refused: {why}")
    sys.exit(3)
try:
    t = paramiko.Transport(socket.create_connection((ip, 22), timeout=20))
    t.get_security_options().key_types = ["ssh-ed25519-cert-v01@openssh.com"]
    t.start_client(timeout=20)
except Exception as e:
    refuse(f"{type(e).__name__}: {e}")
blob = t.get_remote_server_key().public_blob
if blob is None:
    refuse("no certificate")
cert = serialization.load_ssh_public_identity(
    f"{blob.key_type} {base64.b64encode(blob.key_blob).decode()}".encode())
if marker != "@cert-authority" or not any(fnmatch.fnmatch(name, p) for p in patterns.split(",")):
    refuse("the CA line does not cover the name")
if cert.signature_key().public_bytes(*raw) != ca.public_bytes(*raw):
    refuse("another CA")
try:
    cert.verify_cert_signature()
except Exception:
    refuse("bad signature")
if cert.type != serialization.SSHCertificateType.HOST or name.encode() not in cert.valid_principals:
    refuse("not a host certificate for the name")
if not cert.valid_after <= time.time() < cert.valid_before:
    refuse("expired or not yet valid")
t.auth_publickey(user, paramiko.PKey.from_path(key_path))
channel = t.open_session()
channel.exec_command("echo ok")
print(channel.makefile().read().decode().strip())
"#;

#[test]
fn paramiko_given_the_ca_line_connects_to_a_certified_instance() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let plain = sim.launch(Launch::named("plain"));
    let ca_line = make_ca(&sim);
    let (out, certs) = certify(&sim, &web.id, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    sim.install_host_certificates(&web.id, &certs);
    let paramiko = |ip: &str, name: &str| {
        let mut cmd = std::process::Command::new(sim_python());
        cmd.arg("-c").arg(PARAMIKO_CA).args([ip, name, &ca_line]);
        cmd.arg(sim.client_key()).arg(user());
        run(cmd, None)
    };
    let out = paramiko(&web.ip, &web.id);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    let out = paramiko(&web.ip, &web.dns);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // Not a principal: the Name tag.
    let out = paramiko(&web.ip, &sim.name("web"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // No certificate at all.
    let out = paramiko(&plain.ip, &plain.id);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}
