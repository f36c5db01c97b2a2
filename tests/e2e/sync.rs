//! `ec2-hostkey sync`: a whole fleet verified and recorded in one run.

use std::fs;

use crate::support::*;

#[test]
fn sync_records_exactly_the_verified_keys_of_200_instances_despite_throttling() {
    let sim = Sim::start();
    // 110 launches of one and one of 90: more than a page (100 reservations) of DescribeInstances.
    let console_only = Launch::default()
        .tag("sim:sshd", "off")
        .tag("sim:key-types", "ed25519");
    let mut fleet: Vec<Launched> = (0..110).map(|_| sim.launch(console_only.clone())).collect();
    fleet.extend(sim.launch_many(console_only, 90, None));
    let live = sim.launch_many(Launch::named("live").tag("Env", "prod"), 2, None);
    let booting = sim.launch_many(
        Launch::named("booting").tag("sim:console-delay", "3600"),
        3,
        None,
    );
    let stopped = sim.launch(Launch::named("stopped"));
    sim.stop(&stopped.id);
    let keys = sim.host_keys();

    // Throttling starts mid-run: after 60 consoles, the next 40 calls are refused.
    sim.fault_after("GetConsoleOutput", "throttle", 40, 60);
    sim.reset_calls();
    let kh = sim.path("known_hosts");
    let out = sim.run_bin(&["sync", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "3 instances still booting make the run incomplete: {}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], 202, "{report:#}");
    assert_eq!(report["unavailable"], 3);
    assert_eq!(report["mismatch"], 0);
    let instances = report["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 205, "running instances only, all pages");
    for booted in &booting {
        let entry = instances
            .iter()
            .find(|i| i["instance"] == booted.id.as_str())
            .unwrap();
        assert_eq!(entry["status"], "unavailable");
        assert!(
            entry["reason"]
                .as_str()
                .unwrap()
                .contains("not available yet"),
            "{entry}"
        );
    }
    let calls = sim.calls();
    let count = |action: &str| calls.iter().filter(|c| *c == action).count();
    assert!(
        count("DescribeInstances") >= 2,
        "116 reservations take 2 pages of 100"
    );
    assert!(
        count("GetConsoleOutput") >= 205 + 40,
        "throttled calls were retried"
    );

    // The file holds exactly each verified instance's keys under its DNS name and IP, nothing else.
    let verified: Vec<&Launched> = fleet.iter().chain(&live).collect();
    let mut expected_lines = 0;
    for instance in &verified {
        for name in [&instance.dns, &instance.ip] {
            assert_eq!(
                keygen_find(&kh, name),
                keys[&instance.id],
                "{name} ({})",
                instance.id
            );
            expected_lines += keys[&instance.id].len();
        }
    }
    let lines = fs::read_to_string(&kh).unwrap().lines().count();
    assert_eq!(
        lines, expected_lines,
        "one line per name and key, nothing else"
    );
    for absent in booting.iter().chain([&stopped]) {
        assert!(
            keygen_find(&kh, &absent.ip).is_empty(),
            "{} has no entry",
            absent.id
        );
    }

    // Plain ssh, no ProxyCommand, strict checking: the synced entry is what it trusts.
    let out = sim.ssh_opts(&live[0].ip, &kh, &[], &[], &["echo", "ok"], None);
    assert!(out.status.success(), "{}", stderr(&out));

    // Again: everything known, nothing fetched, nothing changed.
    sim.reset_calls();
    let before = fs::read(&kh).unwrap();
    let out = sim.run_bin(&[
        "sync",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
        "--filter",
        "Name=tag:Env,Values=prod",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["unchanged"], 2,
        "only the filtered instances: {report:#}"
    );
    assert_eq!(report["instances"].as_array().unwrap().len(), 2);
    // The console is read again (the cache never overrides it, so a
    // re-key would show), for the filtered instances only.
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| *c == "GetConsoleOutput")
            .count(),
        2,
        "{:?}",
        sim.calls()
    );
    assert_eq!(fs::read(&kh).unwrap(), before);
}

#[test]
fn sync_replaces_the_stale_entry_of_a_recycled_address_and_dry_run_writes_nothing() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("old"));
    let kh = sim.path("known_hosts");
    assert!(sim.fetch_write(&kh, &old.id).status.success());
    sim.terminate(&old.id);
    let new = sim.launch(Launch::named("new").tag("sim:address", &old.ip));

    let before = fs::read(&kh).unwrap();
    let out = sim.run_bin(&["sync", "--dry-run", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 replaced"), "{}", stdout(&out));
    assert_eq!(fs::read(&kh).unwrap(), before, "--dry-run changes nothing");

    let out = sim.run_bin(&["sync", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &new.ip), sim.keyscan(&new.ip));
}

#[test]
fn sync_covers_every_listed_region_and_records_private_sides_on_request() {
    let sim = Sim::start();
    let home = sim.launch(Launch::named("home"));
    let far = sim.launch_in("eu-west-1", Launch::named("far"));
    let kh = sim.path("known_hosts");
    let out = sim.run_bin(&[
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--address",
        "private",
        "sync",
        "--aliases",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions: Vec<&str> = report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"], "{report:#}");
    for (instance, name) in [(&home, "home"), (&far, "far")] {
        let keys = sim.keyscan(&instance.private_ip);
        for recorded in [
            instance.private_ip.as_str(),
            instance.private_dns.as_str(),
            instance.id.as_str(),
            name,
        ] {
            assert_eq!(keygen_find(&kh, recorded), keys, "{recorded}");
        }
        assert!(
            keygen_find(&kh, &instance.ip).is_empty(),
            "public side not recorded"
        );
    }
}

#[test]
fn sync_shows_a_progress_bar_on_a_terminal_and_none_in_a_pipe() {
    let sim = Sim::start();
    sim.launch_many(
        Launch::default()
            .tag("sim:sshd", "off")
            .tag("sim:key-types", "ed25519"),
        5,
        None,
    );
    let kh = sim.path("known_hosts");
    let command = format!("{BIN} sync --known-hosts {}", kh.display());
    // script(1) runs the command on a pseudo-terminal, as an interactive user would.
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .envs(sim.env())
        .env("TERM", "xterm")
        .args(["-qec", &command, "/dev/null"]);
    let out = run(cmd, None);
    assert!(out.status.success(), "{}", stdout(&out));
    let screen = stdout(&out);
    assert!(screen.contains("ec2-hostkey: sync "), "{screen}");
    assert!(screen.contains("/5 instances"), "{screen}");
    assert!(screen.contains("5 added"), "{screen}");

    let out = sim.run_bin(&["sync", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        !stderr(&out).contains("/5 instances"),
        "no bar when stderr is not a terminal"
    );
    assert!(stdout(&out).contains("5 unchanged"), "{}", stdout(&out));
}
