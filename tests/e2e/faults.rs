//! Faults injected into the testbed's API: each gets bounded retries where
//! retrying makes sense, otherwise one clear line naming cause and remedy, a
//! documented exit code, and an untouched known_hosts.

use std::fs;
use std::time::{Duration, Instant};

use crate::support::*;

const ORIGINAL: &str = "# mine\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";

/// `fetch --write` against a fault; returns (exit code, the one stderr line).
fn fetch_under(sim: &Sim, target: &str) -> (Option<i32>, String) {
    let kh = sim.path("known_hosts");
    fs::write(&kh, ORIGINAL).unwrap();
    let out = sim.run_bin(&[
        "fetch",
        "--no-cache",
        "--write",
        "--known-hosts",
        kh.to_str().unwrap(),
        target,
    ]);
    assert_eq!(
        fs::read_to_string(&kh).unwrap(),
        ORIGINAL,
        "known_hosts must be untouched"
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "exactly one line on stderr: {err}");
    (out.status.code(), err.trim().to_string())
}

#[test]
fn missing_iam_permission_names_the_action() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.fault("DescribeInstances", "unauthorized", None);
    let (code, err) = fetch_under(&sim, &web.id);
    assert_eq!(code, Some(6));
    assert!(
        err.starts_with(
            "ec2-hostkey: error: access denied: the caller needs ec2:DescribeInstances"
        ),
        "{err}"
    );

    sim.fault("DescribeInstances", "unauthorized", Some(0));
    sim.fault("GetConsoleOutput", "unauthorized", None);
    let (code, err) = fetch_under(&sim, &web.id);
    assert_eq!(code, Some(6));
    assert!(
        err.contains("the caller needs ec2:GetConsoleOutput") && err.contains("IAM policy"),
        "{err}"
    );
}

#[test]
fn expired_credentials_say_refresh_them() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.fault("DescribeInstances", "expired", None);
    let (code, err) = fetch_under(&sim, &web.id);
    assert_eq!(code, Some(6));
    assert!(
        err.contains("AWS rejected the credentials (RequestExpired")
            && err.contains("refresh them"),
        "{err}"
    );
}

#[test]
fn throttling_and_5xx_are_retried_then_succeed() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.reset_calls();
    sim.fault("DescribeInstances", "throttle", Some(2));
    sim.fault("GetConsoleOutput", "unavailable", Some(1));
    let kh = sim.path("known_hosts");
    let out = sim.fetch_write(&kh, &web.id);
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = sim.calls();
    assert_eq!(
        calls.iter().filter(|c| *c == "DescribeInstances").count(),
        3,
        "{calls:?}"
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
}

#[test]
fn persistent_throttling_fails_clearly_after_bounded_retries() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.reset_calls();
    sim.fault("DescribeInstances", "throttle", None);
    let started = Instant::now();
    let (code, err) = fetch_under(&sim, &web.id);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("throttling ec2:DescribeInstances (RequestLimitExceeded) even after retries"),
        "{err}"
    );
    let attempts = sim
        .calls()
        .iter()
        .filter(|c| *c == "DescribeInstances")
        .count();
    assert!(
        (2..=5).contains(&attempts),
        "bounded retries, not {attempts}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn internal_errors_fail_with_the_code_and_a_remedy() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.fault("GetConsoleOutput", "internal", None);
    let (code, err) = fetch_under(&sim, &web.id);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("ec2:GetConsoleOutput failed: InternalError") && err.contains("retry"),
        "{err}"
    );
}

#[test]
fn a_slow_api_is_timed_out_and_retried() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.slow("DescribeInstances", 14.0, 1);
    let started = Instant::now();
    let out = sim.fetch_write(&kh, &web.id);
    assert!(out.status.success(), "{}", stderr(&out));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(14),
        "the slow attempt was cut off at 10 s and retried: {took:?}"
    );
}

#[test]
fn sshd_not_answering_is_a_clear_error() {
    let sim = Sim::start();
    let dark = sim.launch(Launch::named("dark").tag("sim:sshd", "off"));
    let kh = sim.path("known_hosts");
    fs::write(&kh, ORIGINAL).unwrap();
    let out = sim.ssh("dark", &kh, "", &["true"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot connect to {} port 22; is the instance's sshd up",
            dark.ip
        )),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&kh).unwrap(), ORIGINAL);
}

#[test]
fn a_pending_instance_says_it_is_still_booting() {
    let sim = Sim::start();
    let booting = sim.launch(Launch::named("booting").tag("sim:state", "pending"));
    let (code, err) = fetch_under(&sim, "booting");
    assert_eq!(code, Some(3));
    assert_eq!(
        err,
        format!(
            "ec2-hostkey: error: instance {} is pending; it is still booting; retry in a moment",
            booting.id
        )
    );
}

#[test]
fn wait_covers_an_instance_that_is_still_pending() {
    let sim = Sim::start();
    let booting = sim.launch(
        Launch::named("booting")
            .tag("sim:state", "pending")
            .tag("sim:pending-for", "3"),
    );
    let out = sim.run_bin(&["fetch", "--wait", "60s", "booting"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("waiting for {} to start", booting.id)),
        "{}",
        stderr(&out)
    );
    let mut keys: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("booting "))
        .map(str::to_string)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        sim.keyscan(&booting.ip),
        "the keys of the instance, once running"
    );
}
