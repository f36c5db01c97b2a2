//! Servers that present host certificates (sshd's `HostCertificate`, as
//! fleets signed by Vault, step-ca or cloud-init's `ssh_keys:
//! <type>_certificate` run): ssh asks for certificates first whenever
//! known_hosts has no line for the host, so the first connection meets one.
//! The key inside is what a source must vouch for; the user's own
//! `@cert-authority` and `@revoked` lines stay, and `@revoked` wins.

use std::fs;

use crate::support::*;

fn certified(name: &str) -> Launch {
    Launch::named(name).tag("sim:host-cert", "true")
}

fn host_ca(sim: &Sim) -> String {
    fs::read_to_string(sim.state_dir.join("host_ca.pub"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn a_certificate_presenting_server_of_each_key_type_is_verified_and_its_plain_keys_recorded() {
    let sim = Sim::start();
    for key_type in ["ed25519", "ecdsa", "rsa"] {
        let web = sim.launch(certified(&format!("web-{key_type}")).tag("sim:key-types", key_type));
        let kh = sim.path(&format!("kh-{key_type}"));
        // ssh's default HostKeyAlgorithms, an empty known_hosts: it asks for the certificate.
        let out = sim.ssh(&web.id, &kh, "-v", &["echo", "ok"]);
        assert!(out.status.success(), "{key_type}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
        assert!(
            stderr(&out).contains("presented a certificate"),
            "{key_type}: -v says what was presented: {}",
            stderr(&out)
        );
        assert_eq!(
            keygen_find(&kh, &sim.name(&web.id)),
            sim.keyscan(&web.ip),
            "{key_type}: the plain keys are recorded"
        );
        assert!(!fs::read_to_string(&kh).unwrap().contains("-cert-v01"));
        // The next connection, with lines known, goes as plain ssh would.
        sim.ssh_ok(&web.id, &kh);
    }
}

#[test]
fn fetch_says_what_the_server_presents() {
    let sim = Sim::start();
    let web = sim.launch(certified("web"));
    let plain = sim.launch(Launch::named("plain"));
    let out = sim.run_bin(&["fetch", "--json", &web.id, &plain.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let presented = &report[0]["presented"];
    assert_eq!(presented["kind"], "certificate", "{presented}");
    assert_eq!(presented["type"], "ssh-ed25519-cert-v01@openssh.com");
    assert_eq!(presented["verified"], true);
    let ca = host_ca(&sim);
    let ca_fingerprint = ssh_keygen_fingerprint(&ca);
    assert_eq!(
        presented["certificate"]["ca_fingerprint"],
        ca_fingerprint.as_str()
    );
    let principals = presented["certificate"]["principals"].as_array().unwrap();
    assert!(
        principals.iter().any(|p| p == web.id.as_str()),
        "{presented}"
    );
    assert!(
        presented["certificate"]["valid_before"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(report[1]["presented"]["kind"], "plain");
    assert!(report[1]["presented"].get("certificate").is_none());
}

#[test]
fn a_certificate_over_a_key_no_source_vouches_for_is_refused() {
    let sim = Sim::start();
    // Signed by a CA, as anyone can sign anything: the key in it is not the console's.
    let evil = sim.launch(certified("evil").tag("sim:mitm", "true"));
    let kh = sim.path("kh");
    let out = sim.ssh(&evil.id, &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
    // And by the CA's own trust in known_hosts' eyes: nothing was released to ssh.
    assert!(!stderr(&out).contains("Warning: Permanently added"));
}

#[test]
fn fingerprints_only_consoles_work_against_certificate_presenting_servers() {
    let sim = Sim::start();
    let web = sim.launch(certified("web").tag("sim:console", "fingerprints-only"));
    let kh = sim.path("kh");
    sim.ssh_ok(&web.id, &kh);
    let recorded = keygen_find(&kh, &sim.name(&web.id));
    assert!(!recorded.is_empty());
    assert!(recorded.iter().all(|k| sim.keyscan(&web.ip).contains(k)));
}

#[test]
fn the_known_hosts_command_vouches_for_the_key_inside_a_certificate() {
    let sim = Sim::start();
    let web = sim.launch(certified("web"));
    let kh = sim.path("kh");
    fs::write(&kh, "").unwrap();
    let options = [format!("KnownHostsCommand={BIN} known-hosts %H %t %K")];
    let out = sim.ssh_opts(&web.ip, &kh, &options, &[], &["echo", "ok"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(
        fs::read(&kh).unwrap().is_empty(),
        "KnownHostsCommand writes no file"
    );
}

#[test]
fn the_users_cert_authority_and_revoked_lines_stay_and_revoked_keys_are_refused() {
    let sim = Sim::start();
    let web = sim.launch(certified("web"));
    let ca = host_ca(&sim);
    let unrelated =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";
    // The user's own lines, in a file with CRLF and no final newline.
    let mine =
        format!("@cert-authority *.corp.example {unrelated}\r\n@revoked old.example {unrelated}");
    let kh = sim.path("kh");
    fs::write(&kh, &mine).unwrap();
    sim.ssh_ok(&web.id, &kh);
    let after = fs::read_to_string(&kh).unwrap();
    assert!(
        after.starts_with(&mine),
        "the user's lines changed:\n{after}"
    );

    // The user revokes the instance's ed25519 key: no source overrides it.
    let ed25519 = sim.host_keys()[&web.id]
        .iter()
        .find(|k| k.starts_with("ssh-ed25519"))
        .unwrap()
        .clone();
    let kh = sim.path("kh-revoked-key");
    let revoked = format!("@revoked * {ed25519}\n");
    fs::write(&kh, &revoked).unwrap();
    let out = sim.ssh(&web.id, &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(
        &out,
        "which your own known_hosts revokes",
        &kh,
        Some(revoked.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(255));
    // The plain key, offered as itself, is refused the same way.
    let out = sim.ssh_opts(
        &web.id,
        &kh,
        &[
            format!(
                "ProxyCommand={BIN} proxy --known-hosts {} %h %p",
                kh.display()
            ),
            "HostKeyAlgorithms=ssh-ed25519".into(),
        ],
        &[],
        &["echo", "ok"],
        None,
    );
    assert_refused_unwritten(&out, "the host key SHA256:", &kh, Some(revoked.as_bytes()));
    // fetch --write never records a revoked key, and says so.
    let out = sim.run_bin(&[
        "fetch",
        "--write",
        "--known-hosts",
        kh.to_str().unwrap(),
        &web.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("revokes it (@revoked)"),
        "{}",
        stderr(&out)
    );
    let written = fs::read_to_string(&kh).unwrap();
    let (_, ed25519_data) = ed25519.split_once(' ').unwrap();
    assert_eq!(
        written.matches(ed25519_data).count(),
        1,
        "only the @revoked line holds it:\n{written}"
    );

    // sync leaves it out too, and says so.
    let out = sim.run_bin(&["sync", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("revokes them (@revoked)"),
        "{}",
        stdout(&out)
    );
    let written = fs::read_to_string(&kh).unwrap();
    assert_eq!(written.matches(ed25519_data).count(), 1, "{written}");

    // The KnownHostsCommand refuses it too (ssh would, only where the
    // @revoked line's host pattern matches; the tool, always).
    let user_kh = sim.home().join(".ssh/known_hosts");
    fs::create_dir_all(user_kh.parent().unwrap()).unwrap();
    fs::write(&user_kh, &revoked).unwrap();
    let (kind, data) = ed25519.split_once(' ').unwrap();
    let out = sim.run_bin(&["known-hosts", &web.id, kind, data]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    fs::remove_file(&user_kh).unwrap();

    // The user revokes the CA that signed the certificate.
    let kh = sim.path("kh-revoked-ca");
    let revoked = format!("@revoked * {ca}\n");
    fs::write(&kh, &revoked).unwrap();
    let out = sim.ssh(&web.id, &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(
        &out,
        "a certificate signed by the CA SHA256:",
        &kh,
        Some(revoked.as_bytes()),
    );
}

/// `SHA256:…` of a public key line, as ssh-keygen -l prints it.
fn ssh_keygen_fingerprint(line: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pub");
    fs::write(&path, format!("{line}\n")).unwrap();
    let out = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    stdout(&out).split_whitespace().nth(1).unwrap().to_string()
}
