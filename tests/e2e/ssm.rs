//! Systems Manager as a source: instances whose console output no longer
//! holds the host-key block (it scrolled out), read through the instance's
//! agent — the tool's own document when it exists, else AWS-RunShellScript —
//! with every trust rule unchanged.

use std::fs;
use std::process::Output;

use crate::support::*;

const DOCUMENT: &str = "ec2-hostkey-ReadHostKeys";

/// A long-running instance: its console block is gone, its agent is online.
fn ssm_only(name: &str) -> Launch {
    Launch::named(name)
        .tag("sim:console", "scrolled")
        .tag("sim:ssm", "online")
}

fn create_document(sim: &Sim) {
    let out = sim.run_bin(&["ssm-document"]);
    assert!(out.status.success());
    sim.create_ssm_document(DOCUMENT, &stdout(&out));
}

#[test]
fn ssh_verifies_through_ssm_when_the_console_holds_no_block() {
    let sim = Sim::start();
    let web = sim.launch(ssm_only("web"));
    let kh = sim.path("known_hosts");
    let out = sim.ssh("web", &kh, "", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    // No document was created: the read ran with AWS-RunShellScript, which is allowed here.
    assert!(
        stderr(&out).contains("Systems Manager agent (document AWS-RunShellScript)"),
        "{}",
        stderr(&out)
    );
    let keys = sim.host_keys()[&web.id].clone();
    assert_eq!(keygen_find(&kh, "web"), keys);
    assert_eq!(keygen_find(&kh, &web.ip), keys);
    let calls = sim.calls();
    for action in [
        "GetConsoleOutput",
        "DescribeInstanceInformation",
        "SendCommand",
        "GetCommandInvocation",
    ] {
        assert!(
            calls.iter().any(|c| c == action),
            "{action} not in {calls:?}"
        );
    }
    // Plain ssh then trusts it with no ProxyCommand and no prompt.
    let out = sim.ssh_ok(&web.ip, &kh);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_mitm_in_front_of_an_ssm_verified_instance_is_refused() {
    let sim = Sim::start();
    let evil = sim.launch(ssm_only("evil").tag("sim:mitm", "true"));
    let kh = sim.path("known_hosts");
    let out = sim.ssh("evil", &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
    assert!(
        stderr(&out).contains("Systems Manager agent"),
        "{}",
        stderr(&out)
    );
    let out = sim.fetch_write(&kh, &evil.id);
    assert_eq!(
        out.status.code(),
        Some(0),
        "fetch trusts the agent's keys as they are"
    );
    let listed = keygen_find(&kh, &evil.ip);
    assert!(!listed.is_empty());
    assert!(
        listed
            .iter()
            .all(|k| !sim.host_keys()[&evil.id].contains(k)),
        "the keys recorded are the agent's, never what the impostor presents"
    );
}

#[test]
fn only_the_tools_document_allowed_is_enough_and_neither_names_both() {
    let sim = Sim::start();
    let web = sim.launch(ssm_only("web"));
    sim.fault("SendCommand:AWS-RunShellScript", "unauthorized", None);

    // Neither: the document does not exist and the shell is denied.
    let out = sim.run_bin(&["fetch", "--source", "ssm", &web.id]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("the document {DOCUMENT} does not exist")),
        "{err}"
    );
    assert!(err.contains("AWS-RunShellScript is denied"), "{err}");
    assert!(err.contains("ec2-hostkey ssm-document"), "{err}");

    // With the read-only document created, the same caller reads the keys.
    create_document(&sim);
    let kh = sim.path("known_hosts");
    let out = sim.ssh("web", &kh, "", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("(document {DOCUMENT})")),
        "{}",
        stderr(&out)
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.host_keys()[&web.id]);
}

#[test]
fn fetch_reports_the_source_and_source_flags_choose_it() {
    let sim = Sim::start();
    let old = sim.launch(ssm_only("old"));
    let fresh = sim.launch(Launch::named("fresh").tag("sim:ssm", "online"));

    let out = sim.run_bin(&["fetch", "--json", &old.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "ssm");

    // --source console: the console alone, which has nothing; SSM is not
    // asked (and the keys verified a moment ago are not remembered here).
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--no-cache", "--source", "console", &old.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds no SSH host key block"),
        "{}",
        stderr(&out)
    );
    assert!(
        !sim.calls().iter().any(|c| c == "SendCommand"),
        "{:?}",
        sim.calls()
    );

    // --source ssm on an instance whose console has the block: the console is not read.
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--json", "--source", "ssm", &fresh.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "ssm");
    assert!(
        !sim.calls().iter().any(|c| c == "GetConsoleOutput"),
        "{:?}",
        sim.calls()
    );
    // auto: the console first.
    let out = sim.run_bin(&["fetch", "--json", &fresh.id]);
    assert_eq!(json(&out)[0]["source"], "console-keys");
}

#[test]
fn when_every_source_fails_the_error_lists_each_in_order() {
    let sim = Sim::start();
    let unmanaged = sim.launch(Launch::named("unmanaged").tag("sim:console", "scrolled"));
    let offline = sim.launch(
        Launch::named("offline")
            .tag("sim:console", "scrolled")
            .tag("sim:ssm", "offline"),
    );
    let slow = sim.launch(
        Launch::named("slow")
            .tag("sim:console", "scrolled")
            .tag("sim:ssm", "timeout"),
    );
    let out = sim.run_bin(&["fetch", &unmanaged.id]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    let order = [
        "no trusted source vouches for",
        "console (console output of",
        "holds no SSH host key block",
        "Systems Manager (",
        "is not managed by Systems Manager",
    ];
    let mut at = 0;
    for part in order {
        let found = err[at..]
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} after {at} in {err}"));
        at += found;
    }
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    let out = sim.run_bin(&["fetch", "--source", "ssm", &offline.id]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("is ConnectionLost, not Online"),
        "{}",
        stderr(&out)
    );

    let out = sim.run_bin(&["fetch", "--source", "ssm", &slow.id]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("did not finish in time"),
        "{}",
        stderr(&out)
    );

    // ssh through the ProxyCommand: refused, nothing written.
    let kh = sim.path("known_hosts");
    let out = sim.ssh("unmanaged", &kh, "", &["echo", "ok"]);
    assert_refused_unwritten(&out, "no trusted source vouches", &kh, None);
}

#[test]
fn sync_and_repair_use_ssm_for_instances_the_console_cannot_vouch_for() {
    let sim = Sim::start();
    let console = sim.launch(Launch::named("console"));
    let ssm = sim.launch(ssm_only("ssm"));
    let neither = sim.launch(Launch::named("neither").tag("sim:console", "scrolled"));
    let kh = sim.path("known_hosts");

    let out = sim.run_bin(&["sync", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let report = json(&out);
    let by_id = |id: &str| {
        report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instance"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&console.id)["source"], "console-keys");
    assert_eq!(by_id(&ssm.id)["source"], "ssm");
    assert_eq!(by_id(&ssm.id)["status"], "added");
    assert_eq!(by_id(&neither.id)["status"], "unavailable");
    let reason = by_id(&neither.id)["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("not managed by Systems Manager"),
        "{reason}"
    );
    assert_eq!(keygen_find(&kh, &ssm.ip), sim.host_keys()[&ssm.id]);
    assert!(keygen_find(&kh, &neither.ip).is_empty());

    // A legitimate re-key on the SSM-only instance: its console shows
    // nothing, the agent shows the new keys; repair replaces the stale entry.
    let new_keys = sim.rekey(&ssm.id);
    let out = sim.run_bin(&["repair", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["stale"].as_u64().unwrap() > 0, "{report}");
    for entry in report["entries"].as_array().unwrap() {
        if entry["status"] == "stale" {
            assert_eq!(entry["instance"], ssm.id.as_str(), "{entry}");
        }
    }
    let mut new_keys = new_keys;
    new_keys.sort();
    assert_eq!(keygen_find(&kh, &ssm.ip), new_keys);
    assert_eq!(keygen_find(&kh, &console.ip), sim.host_keys()[&console.id]);
}

#[test]
fn doctor_reports_whether_the_read_only_document_exists() {
    let sim = Sim::start();
    let line = |out: &Output| {
        stdout(out)
            .lines()
            .find(|l| l.contains(&format!("SSM document {DOCUMENT}")))
            .unwrap_or_else(|| panic!("{}", stdout(out)))
            .to_string()
    };
    let out = sim.run_bin(&["doctor"]);
    let missing = line(&out);
    assert!(missing.starts_with("warn"), "{missing}");
    assert!(missing.contains("not found"), "{missing}");
    assert!(missing.contains("aws ssm create-document"), "{missing}");
    assert!(
        stdout(&out).contains("ok    ssm:DescribeInstanceInformation: allowed"),
        "{}",
        stdout(&out)
    );
    create_document(&sim);
    let out = sim.run_bin(&["doctor"]);
    assert!(line(&out).starts_with("ok"), "{}", line(&out));
}

#[test]
fn sync_of_200_where_half_need_ssm_stays_bounded_despite_throttling() {
    let sim = Sim::start();
    let quiet = |launch: Launch| {
        launch
            .tag("sim:sshd", "off")
            .tag("sim:key-types", "ed25519")
    };
    let consoles = sim.launch_many(quiet(Launch::named("c")), 100, None);
    let agents = sim.launch_many(quiet(ssm_only("s")), 100, None);
    let keys = sim.host_keys();
    create_document(&sim);
    // Throttling mid-run: after 50 answers, the next 30 polls are refused.
    sim.fault_after("GetCommandInvocation", "throttle", 30, 50);
    sim.reset_calls();
    let kh = sim.path("known_hosts");
    let started = std::time::Instant::now();
    let out = sim.run_bin(&["sync", "--json", "--known-hosts", kh.to_str().unwrap()]);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["added"], 200, "{report:#}");
    let source_of = |id: &str| {
        report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instance"] == id)
            .unwrap()["source"]
            .clone()
    };
    for i in &consoles {
        assert_eq!(source_of(&i.id), "console-keys");
        assert_eq!(keygen_find(&kh, &i.ip), keys[&i.id]);
    }
    for i in &agents {
        assert_eq!(source_of(&i.id), "ssm");
        assert_eq!(keygen_find(&kh, &i.ip), keys[&i.id]);
    }
    let calls = sim.calls();
    let count = |action: &str| calls.iter().filter(|c| *c == action).count();
    // One read per instance that needs it, and none for the others.
    assert_eq!(count("SendCommand"), 100);
    assert_eq!(count("DescribeInstanceInformation"), 100);
    assert_eq!(count("GetConsoleOutput"), 200);
    // Polls back off: a handful per command, plus the throttled ones retried.
    let polls = count("GetCommandInvocation");
    assert!(polls <= 100 * 6 + 30, "{polls} polls");
    eprintln!(
        "sync of 200 (100 through SSM, 30 throttled polls): {:.1} s, {polls} GetCommandInvocation calls",
        took.as_secs_f64()
    );
}

#[test]
fn a_document_under_our_name_that_is_not_ours_is_never_run() {
    let sim = Sim::start();
    let web = sim.launch(ssm_only("web"));
    // Someone allowed ssm:CreateDocument got there first, with a read of their own.
    let forged = stdout(&sim.run_bin(&["ssm-document"])).replace(
        "cat /etc/ssh/ssh_host_*_key.pub",
        "echo ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy",
    );
    sim.create_ssm_document(DOCUMENT, &forged);
    let out = sim.run_bin(&["doctor"]);
    assert!(
        stdout(&out).contains("its content differs"),
        "{}",
        stdout(&out)
    );

    // With the shell allowed, the read runs with it instead: the real keys.
    let kh = sim.path("known_hosts");
    let out = sim.ssh("web", &kh, "", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(document AWS-RunShellScript)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.host_keys()[&web.id]);

    // With the shell denied: refused, saying why.
    sim.fault("SendCommand:AWS-RunShellScript", "unauthorized", None);
    let out = sim.run_bin(&["fetch", "--no-cache", "--source", "ssm", &web.id]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not ec2-hostkey's read-only document"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_ssm_read_that_contradicts_console_verified_keys_is_refused_in_auto() {
    let sim = Sim::start();
    // The console lists the genuine keys at first boot...
    let web = sim.launch(Launch::named("web").tag("sim:ssm", "online"));
    let kh = sim.path("known_hosts");
    assert!(sim.ssh("web", &kh, "", &["true"]).status.success());
    let before = fs::read(&kh).unwrap();
    // ...later its console block is gone and the agent answers other keys
    // (a re-key, or a process answering for the agent with the instance's credentials).
    sim.scroll_console(&web.id);
    sim.rekey_quietly(&web.id);
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("lists none of the host keys verified earlier"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&kh).unwrap(), before, "nothing written");
    // sync reports it as a mismatch (exit 5), not as "unavailable".
    let out = sim.run_bin(&["sync", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(
        json(&out)["instances"][0]["status"],
        "mismatch",
        "{}",
        stdout(&out)
    );
    assert_eq!(fs::read(&kh).unwrap(), before, "nothing written");
    // Asked for by name, the agent's answer is taken.
    let out = sim.run_bin(&[
        "fetch",
        "--write",
        "--source",
        "ssm",
        "--known-hosts",
        kh.to_str().unwrap(),
        &web.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.ip), sim.host_keys()[&web.id]);
}

#[test]
fn source_console_never_answers_from_keys_ssm_verified() {
    let sim = Sim::start();
    sim.launch(ssm_only("old"));
    let kh = sim.path("known_hosts");
    assert!(sim.ssh("old", &kh, "", &["true"]).status.success());
    // Warm, or known by id: the cache holds the agent's keys, which --source console does not accept.
    let out = sim.ssh("old", &kh, "--source console", &["echo", "ok"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("holds no SSH host key block"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_console_whose_block_scrolled_out_is_not_waited_on() {
    let sim = Sim::start();
    let old = sim.launch(ssm_only("old").tag("sim:launched-ago", "86400"));
    // Up for a day, cloud-init said it finished and no block is left:
    // waiting cannot bring one back, so the next source is asked at once,
    // whatever --wait says. (On a fresh instance it is waited for.)
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--json", "--wait", "10m", &old.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "ssm");
    let consoles = sim
        .calls()
        .iter()
        .filter(|c| *c == "GetConsoleOutput")
        .count();
    assert_eq!(consoles, 1, "{:?}", sim.calls());
}
