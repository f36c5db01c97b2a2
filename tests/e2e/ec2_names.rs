//! EC2's own names for an instance: its id (assigned by AWS, never reused)
//! is as much EC2's as its public DNS name and IP, so a stale line for it
//! that the tool did not write (an older version's, ssh's `accept-new`, one
//! typed by hand) is replaced with verified keys. Name tags and private
//! names stay selectors: their lines are the user's.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::*;

const STALE: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";

fn hash_file(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = fs::remove_file(path.with_extension("old"));
}

#[test]
fn a_stale_unmarked_line_for_the_instance_id_is_replaced_and_ssh_says_nothing() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    for hashed in [false, true] {
        let kh = sim.path(&format!("kh-{hashed}"));
        // As ssh's accept-new wrote it for an earlier key, with no mark of ours.
        fs::write(&kh, format!("{} {STALE}\n", sim.name(&web.id))).unwrap();
        if hashed {
            hash_file(&kh);
        }
        let out = sim.ssh(&web.id, &kh, "", &["echo", "ok"]);
        assert!(out.status.success(), "hashed {hashed}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("IDENTIFICATION HAS CHANGED"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            keygen_find(&kh, &sim.name(&web.id)),
            sim.keyscan(&web.ip),
            "hashed {hashed}"
        );
        let text = fs::read_to_string(&kh).unwrap();
        assert!(!text.contains(STALE.split(' ').nth(1).unwrap()), "{text}");
        if hashed {
            assert!(text.lines().all(|l| l.starts_with("|1|")), "{text}");
        }
    }
}

#[test]
fn repair_fixes_an_id_line_and_leaves_name_tag_and_private_lines_reported() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let lines = [
        format!("{} {STALE}", sim.name(&web.id)),
        format!("{} {STALE}", sim.name("web")),
        format!("{} {STALE}", sim.name(&web.private_ip)),
    ];
    fs::write(&kh, lines.join("\n") + "\n").unwrap();
    let out = sim.run_bin(&["repair", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let status_of = |name: &str| {
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["names"].as_array().unwrap().iter().any(|n| n == name))
            .map(|e| e["status"].as_str().unwrap().to_string())
    };
    assert_eq!(
        status_of(&sim.name(&web.id)).as_deref(),
        Some("stale"),
        "{report}"
    );
    assert_eq!(report["changed"], true);
    let after = fs::read_to_string(&kh).unwrap();
    assert_eq!(keygen_find(&kh, &sim.name(&web.id)), sim.keyscan(&web.ip));
    // The Name tag's and the private address's lines are the user's: kept byte for byte.
    assert!(after.contains(&lines[1]), "{after}");
    assert!(after.contains(&lines[2]), "{after}");
    let text =
        stdout(&sim.run_bin(&["repair", "--dry-run", "--known-hosts", kh.to_str().unwrap()]));
    assert!(text.contains("not ours"), "{text}");
}

/// `ssh NAME` through the proxy, with extra proxy flags.
fn ssh_by(sim: &Sim, name: &str, kh: &Path, flags: &str) -> std::process::Output {
    sim.ssh(name, kh, flags, &["echo", "ok"])
}

#[test]
fn a_name_tag_that_moves_to_another_instance_is_announced_or_refused() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("web-1"));
    let kh = sim.path("kh");
    sim.ssh_ok("web-1", &kh);
    // Autoscaling replaces it (or a tag-writer launches their own once it stops).
    sim.stop(&old.id);
    let new = sim.launch(Launch::named("web-1"));
    let before = fs::read(&kh).unwrap();

    let out = ssh_by(&sim, "web-1", &kh, "--cache-ttl 0s --on-name-move refuse");
    assert_refused_unwritten(&out, "web-1 has moved", &kh, Some(&before));
    for id in [&old.id, &new.id] {
        assert!(stderr(&out).contains(id.as_str()), "{}", stderr(&out));
    }
    assert!(
        stderr(&out).contains("ec2-hostkey forget web-1"),
        "{}",
        stderr(&out)
    );
    // Refused again while the move is not accepted, cache or not.
    let out = ssh_by(&sim, "web-1", &kh, "--on-name-move refuse");
    assert_refused_unwritten(&out, "web-1 has moved", &kh, Some(&before));

    // The default: say so, naming both, and connect.
    let out = ssh_by(&sim, "web-1", &kh, "--cache-ttl 0s");
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("warning: web-1 has moved"), "{said}");
    assert!(said.contains(&old.id) && said.contains(&new.id), "{said}");
    assert_eq!(keygen_find(&kh, &sim.name("web-1")), sim.keyscan(&new.ip));
    // Once followed, the name is the new instance's: nothing more to say.
    let out = ssh_by(&sim, "web-1", &kh, "--cache-ttl 0s --on-name-move refuse");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("moved"), "{}", stderr(&out));
}

#[test]
fn forget_accepts_a_move_and_a_re_pointed_dns_alias_is_announced() {
    let sim = Sim::start();
    let a = sim.launch(Launch::named("a"));
    let b = sim.launch(Launch::named("b"));
    let ns = sim.nameserver();
    sim.dns("app.example.test", &a.ip);
    let kh = sim.path("kh");
    let flags = format!("--nameserver {ns} --cache-ttl 0s");
    let out = ssh_by(&sim, "app.example.test", &kh, &flags);
    assert!(out.status.success(), "{}", stderr(&out));
    // Someone re-points the alias (or spoofs the answer).
    sim.dns("app.example.test", &b.ip);
    let out = ssh_by(
        &sim,
        "app.example.test",
        &kh,
        &format!("{flags} --on-name-move refuse"),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("now leads to {}", b.id)),
        "{}",
        stderr(&out)
    );
    // The user accepts it.
    let out = sim.run_bin(&[
        "forget",
        "--nameserver",
        &ns,
        "--known-hosts",
        kh.to_str().unwrap(),
        "app.example.test",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ssh_by(
        &sim,
        "app.example.test",
        &kh,
        &format!("{flags} --on-name-move refuse"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        keygen_find(&kh, &sim.name("app.example.test")),
        sim.keyscan(&b.ip)
    );
}

#[test]
fn repair_prune_never_removes_lines_of_instances_in_regions_it_did_not_ask() {
    let sim = Sim::start();
    let near = sim.launch(Launch::named("near"));
    let far = sim.launch_in("eu-west-1", Launch::named("far"));
    let gone = sim.launch(Launch::named("gone"));
    let kh = sim.path("kh");
    for target in [&near.id, &far.id, &gone.id] {
        let out = sim.fetch_write(&kh, target);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    sim.terminate(&gone.id);
    let far_lines = keygen_find(&kh, &sim.name(&far.id));
    assert!(!far_lines.is_empty());

    // Only us-east-1 configured: far's lines are reported, not pruned; gone's are.
    let repair = |regions: &[&str]| {
        let mut args = vec![
            "repair",
            "--prune",
            "--json",
            "--known-hosts",
            kh.to_str().unwrap(),
        ];
        for region in regions {
            args.extend(["--region", region]);
        }
        let out = sim.run_bin(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)
    };
    let report = repair(&["us-east-1"]);
    let far_entries: Vec<&serde_json::Value> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"].as_str().is_some_and(|r| r.contains(&far.id)))
        .collect();
    assert!(!far_entries.is_empty(), "{report}");
    for entry in &far_entries {
        assert_eq!(entry["status"], "unverified", "{entry}");
        assert!(
            entry["reason"].as_str().unwrap().contains("eu-west-1"),
            "{entry}"
        );
    }
    assert_eq!(
        keygen_find(&kh, &sim.name(&far.id)),
        far_lines,
        "far's lines were pruned"
    );
    assert!(
        keygen_find(&kh, &sim.name(&gone.id)).is_empty(),
        "the terminated instance's lines stay"
    );
    assert_eq!(keygen_find(&kh, &sim.name(&near.id)), sim.keyscan(&near.ip));

    // Asked about both regions, far's lines are checked and fine.
    let report = repair(&["us-east-1", "eu-west-1"]);
    assert_eq!(report["unverified"], 0, "{report}");
    assert_eq!(keygen_find(&kh, &sim.name(&far.id)), far_lines);

    // When the other regions cannot be asked, nothing unasked is pruned either.
    sim.fault("DescribeRegions", "denied", None);
    let out = sim.run_bin(&[
        "repair",
        "--prune",
        "--region",
        "us-east-1",
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).contains("could not be asked"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(keygen_find(&kh, &sim.name(&far.id)), far_lines);
}

#[test]
fn sync_aliases_and_repair_report_a_name_tag_that_moved() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("web-1"));
    let kh = sim.path("kh");
    let kh_arg = kh.to_str().unwrap();
    let out = sim.run_bin(&["sync", "--aliases", "--known-hosts", kh_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    sim.stop(&old.id);
    let new = sim.launch(Launch::named("web-1"));

    let out = sim.run_bin(&["repair", "--dry-run", "--json", "--known-hosts", kh_arg]);
    let report = json(&out);
    let moved: Vec<&serde_json::Value> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["moved"].as_array().into_iter().flatten())
        .collect();
    assert!(!moved.is_empty(), "{report}");
    assert!(
        moved
            .iter()
            .all(|m| m["from"] == old.id.as_str() && m["to"] == new.id.as_str()),
        "{report}"
    );
    let text = stdout(&sim.run_bin(&["repair", "--dry-run", "--known-hosts", kh_arg]));
    assert!(
        text.contains(&format!(
            "recorded for {}, it now selects {}",
            old.id, new.id
        )),
        "{text}"
    );

    let before = fs::read(&kh).unwrap();
    let out = sim.run_bin(&[
        "sync",
        "--aliases",
        "--json",
        "--on-name-move",
        "refuse",
        "--known-hosts",
        kh_arg,
    ]);
    let report = json(&out);
    let outcome = &report["instances"][0];
    assert_eq!(outcome["moved_from"], old.id.as_str(), "{report}");
    assert!(
        outcome["not_recorded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "web-1"),
        "{report}"
    );
    let after = fs::read_to_string(&kh).unwrap();
    assert!(
        keygen_find(&kh, "web-1")
            .iter()
            .all(|k| { !sim.keyscan(&new.ip).contains(k) }),
        "refused, yet recorded:\n{after}"
    );
    assert_ne!(
        before,
        after.as_bytes(),
        "the new instance's own names are still recorded"
    );

    let out = sim.run_bin(&["sync", "--aliases", "--known-hosts", kh_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("Name tag web-1 moved here from {}", old.id)),
        "{}",
        stdout(&out)
    );
    assert_eq!(keygen_find(&kh, "web-1"), sim.keyscan(&new.ip));
}

/// `known-hosts NAME TYPE KEY` as ssh runs it, offered `instance`'s ed25519 key.
fn known_hosts_cmd(sim: &Sim, name: &str, instance: &str, flags: &[&str]) -> std::process::Output {
    let key = sim.host_keys()[instance]
        .iter()
        .find(|k| k.starts_with("ssh-ed25519"))
        .unwrap()
        .clone();
    let (kind, data) = key.split_once(' ').unwrap();
    let mut args = vec!["known-hosts", "--cache-ttl", "0s"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[name, kind, data]);
    sim.run_bin(&args)
}

#[test]
fn the_known_hosts_command_announces_or_refuses_a_moved_name() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("web-1"));
    let out = known_hosts_cmd(&sim, "web-1", &old.id, &[]);
    assert!(
        out.status.success() && !stdout(&out).is_empty(),
        "{}",
        stderr(&out)
    );
    sim.stop(&old.id);
    let new = sim.launch(Launch::named("web-1"));

    let out = known_hosts_cmd(&sim, "web-1", &new.id, &["--on-name-move", "refuse"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stdout(&out).is_empty(),
        "refused, yet vouched: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(&format!("recorded it for {}", old.id)),
        "{}",
        stderr(&out)
    );
    // Refused again: the refusal remembered nothing.
    let out = known_hosts_cmd(&sim, "web-1", &new.id, &["--on-name-move", "refuse"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));

    let out = known_hosts_cmd(&sim, "web-1", &new.id, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: web-1 has moved"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).is_empty());
}

#[test]
fn a_name_tag_spelled_like_an_instance_id_holds_nothing_in_repair() {
    let sim = Sim::start();
    let victim = sim.launch(Launch::named("victim"));
    let kh = sim.path("kh");
    fs::write(&kh, format!("{} {STALE}\n", sim.name(&victim.id))).unwrap();
    sim.stop(&victim.id);
    // A tag-writer names their instance after the stopped victim's id.
    let evil = sim.launch(Launch::named(&victim.id));
    let out = sim.run_bin(&["repair", "--dry-run", "--known-hosts", kh.to_str().unwrap()]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !text.contains(&evil.id),
        "a tag claimed the id's line: {text}"
    );
    assert_eq!(
        fs::read_to_string(&kh).unwrap(),
        format!("{} {STALE}\n", sim.name(&victim.id))
    );
}
