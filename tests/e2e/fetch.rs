//! `fetch`: the verified replacement for ssh-keyscan; every console format.

use std::fs;

use crate::support::*;

fn key_lines(out: &std::process::Output, name: &str) -> Vec<String> {
    let mut keys: Vec<String> = stdout(out)
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[test]
fn fetch_prints_the_keys_sshd_presents_for_every_name() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["fetch", "web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let presented = sim.keyscan(&web.ip);
    for name in ["web", web.dns.as_str(), web.ip.as_str()] {
        assert_eq!(key_lines(&out, name), presented, "{name}");
    }
    assert!(
        !sim.home().join(".ssh/known_hosts").exists(),
        "fetch without --write writes nothing"
    );
}

#[test]
fn fetch_json_and_write() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let out = sim.run_bin(&[
        "fetch",
        "--json",
        "--write",
        "--known-hosts",
        kh.to_str().unwrap(),
        &web.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["instance"], web.id.as_str());
    assert_eq!(report[0]["source"], "console-keys");
    assert_eq!(report[0]["keys"].as_array().unwrap().len(), 3);
    assert!(
        report[0]["keys"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
}

#[test]
fn every_console_format_yields_the_same_verified_keys() {
    let sim = Sim::start();
    for format in [
        "prefix=ec2",
        "prefix=cloud-init",
        "prefix=syslog",
        "prefix=none",
        "crlf",
        "escapes",
        "noisy",
        "reboot",
        "keys-only",
        "fingerprints-only",
        "fingerprints-only,md5",
        "fingerprints-only,prefix=syslog,crlf",
    ] {
        let inst = sim.launch(Launch::named(&format!("fmt-{format}")).tag("sim:console", format));
        let out = sim.run_bin(&["fetch", &inst.id]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert_eq!(key_lines(&out, &inst.ip), sim.keyscan(&inst.ip), "{format}");
        assert!(
            !stdout(&out).contains('\x1b'),
            "{format}: escapes reach the terminal"
        );
    }
}

#[test]
fn fingerprints_only_console_connects_after_the_probe() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web").tag("sim:console", "fingerprints-only"));
    let kh = sim.path("kh");
    sim.ssh_ok("web", &kh);
    // Only the key ssh negotiated is known from the wire; it is the server's.
    let recorded = keygen_find(&kh, &web.ip);
    assert_eq!(recorded.len(), 1);
    assert!(sim.keyscan(&web.ip).contains(&recorded[0]));
}

#[test]
fn fingerprints_only_mitm_is_refused_with_exit_5() {
    let sim = Sim::start();
    let evil = sim.launch(
        Launch::named("evil")
            .tag("sim:console", "fingerprints-only")
            .tag("sim:mitm", "true"),
    );
    let kh = sim.path("kh");
    let out = sim.fetch_write(&kh, &evil.id);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
    let out = sim.ssh("evil", &kh, "", &["true"]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
}

#[test]
fn fetch_exit_codes_name_the_failure() {
    let sim = Sim::start();
    let slow = sim.launch(Launch::named("slow").tag("sim:console-delay", "600"));
    let out = sim.run_bin(&["fetch", "nosuch"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Every source in turn: the console has nothing yet, and SSM does not manage it.
    let out = sim.run_bin(&["fetch", &slow.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not available yet"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("not managed by Systems Manager"),
        "{}",
        stderr(&out)
    );
    // The console alone: its own message, verbatim.
    let out = sim.run_bin(&["fetch", "--source", "console", &slow.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "ec2-hostkey: error: console output of {} is not available yet (it appears minutes after boot); retry with a longer wait, e.g. --wait 10m",
            slow.id
        )
    );
    let mut cmd = sim.bin();
    cmd.env("AWS_ACCESS_KEY_ID", "")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    cmd.args(["fetch", &slow.id]);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no AWS credentials"),
        "{}",
        stderr(&out)
    );
    let _ = fs::remove_file(sim.path("unused"));
}
