//! The cold path at the round-trip floor: an instance id's console is read
//! while the instance is being located, and a name whose record expired
//! costs one DescribeInstances when the instance's keys are known — with a
//! man-in-the-middle still refused, nothing written, on every such path.
//! (Timings live in contrib/bench; these tests assert the order of calls.)

use std::fs;

use crate::support::*;

#[test]
fn the_console_of_an_id_is_read_while_the_instance_is_located() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    // A slow DescribeInstances leaves room to see the overlap.
    sim.slow("DescribeInstances", 0.4, 10);
    sim.reset_calls();
    let kh = sim.path("known_hosts");
    let out = sim.ssh(&web.id, &kh, "--no-cache", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.id), sim.host_keys()[&web.id]);
    let calls = sim.timed_calls();
    let first = |action: &str| {
        calls
            .iter()
            .find(|c| c.0 == action)
            .unwrap_or_else(|| panic!("no {action} in {calls:?}"))
            .clone()
    };
    let (_, _, located) = first("DescribeInstances");
    let (_, console_started, _) = first("GetConsoleOutput");
    assert!(
        console_started < located,
        "GetConsoleOutput started at {console_started}, after DescribeInstances answered at {located}: {calls:?}"
    );
}

#[test]
fn an_expired_name_costs_one_describe_instances_when_the_keys_are_known() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let out = sim.ssh("web", &kh, "", &["true"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = fs::read(&kh).unwrap();

    // --cache-ttl 0s: the name record is always expired; the instance's
    // verified keys (by id, never reused) are still known.
    sim.reset_calls();
    let out = sim.ssh("web", &kh, "--cache-ttl 0s", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sim.calls(), ["DescribeInstances"]);
    assert_eq!(fs::read(&kh).unwrap(), before, "nothing to change");

    // The same in KnownHostsCommand mode, offered the server's real key.
    let key = sim.host_keys()[&web.id]
        .iter()
        .find(|k| k.starts_with("ssh-ed25519"))
        .unwrap()
        .clone();
    let (kind, data) = key.split_once(' ').unwrap();
    sim.reset_calls();
    let out = sim.run_bin(&["known-hosts", "--cache-ttl", "0s", "web", kind, data]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(data), "{}", stdout(&out));
    assert_eq!(sim.calls(), ["DescribeInstances"]);
}

#[test]
fn known_keys_never_vouch_for_another_key_the_sources_decide() {
    let sim = Sim::start();
    // The console (the genuine keys) and the server on the wire disagree:
    // a man-in-the-middle in front of the instance.
    let evil = sim.launch(Launch::named("evil").tag("sim:mitm", "true"));
    // Its genuine keys are known by id (fetch trusts the console's KEYS block as it is).
    let scratch = sim.path("scratch_known_hosts");
    assert!(sim.fetch_write(&scratch, &evil.id).status.success());

    // By id and by name, no name record: one DescribeInstances finds the
    // id, its known keys do not include what the server presents, so the
    // sources are asked, and they refuse it too.
    for host in [evil.id.as_str(), "evil"] {
        let kh = sim.path("known_hosts");
        sim.reset_calls();
        let out = sim.ssh(host, &kh, "--cache-ttl 0s", &["echo", "ok"]);
        assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
        assert!(
            sim.calls().iter().any(|c| c == "GetConsoleOutput"),
            "the console was asked: {:?}",
            sim.calls()
        );
        let opts = [
            format!(
                "ProxyCommand={BIN} proxy --known-hosts {} --cache-ttl 0s --fdpass %h %p",
                kh.display()
            ),
            "ProxyUseFdpass=yes".to_string(),
        ];
        let out = sim.ssh_opts(host, &kh, &opts, &[], &["echo", "ok"], None);
        assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, None);
    }
}

#[test]
fn a_rekey_behind_known_keys_is_accepted_from_the_console() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    assert!(sim.ssh("web", &kh, "", &["true"]).status.success());
    let mut new_keys = sim.rekey(&web.id);
    new_keys.sort();
    // Known keys no longer match; the console's newer boot lists the new ones.
    let out = sim.ssh("web", &kh, "--cache-ttl 0s", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, "web"), new_keys);
    assert_eq!(keygen_find(&kh, &web.ip), new_keys);
}
