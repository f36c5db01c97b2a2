//! Hostile names: option-like or shell-metacharacter hosts, and Name tags that
//! would be patterns in known_hosts.

use std::fs;

use crate::support::*;

#[test]
fn option_like_and_metacharacter_hosts_are_just_unknown_names() {
    let sim = Sim::start();
    sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let pwned = sim.path("pwned");
    for host in [
        "-oProxyCommand=touch /tmp/x".to_string(),
        format!("web;touch {}", pwned.display()),
        "$(id)".to_string(),
        "%h%p".to_string(),
        "web,*".to_string(),
    ] {
        let out = sim.fetch_write(&kh, &host);
        assert_eq!(out.status.code(), Some(3), "{host}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no instance found"),
            "{host}: {}",
            stderr(&out)
        );
    }
    assert!(!kh.exists());
    assert!(!pwned.exists());
    let out = sim.run_bin(&["fetch", "-oProxyCommand=x"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an option-like host without -- is a usage error"
    );
}

#[test]
fn a_name_tag_with_pattern_characters_is_never_written_as_a_pattern() {
    let sim = Sim::start();
    let evil = sim.launch(Launch::named("*,!x"));
    let kh = sim.path("known_hosts");
    let out = sim.fetch_write(&kh, "*,!x");
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = sim.keyscan(&evil.ip);
    assert_eq!(keygen_find(&kh, &evil.ip), keys);
    assert!(
        keygen_find(&kh, "unrelated.example.com").is_empty(),
        "no wildcard entry was created"
    );
    assert!(!fs::read_to_string(&kh).unwrap().contains('*'));
}

#[test]
fn wildcards_in_a_name_match_only_that_literal_name() {
    let sim = Sim::start();
    sim.launch(Launch::named("web-1"));
    for host in ["*", "web-?", "web*"] {
        let out = sim.run_bin(&["fetch", "--", host]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{host} must not match web-1: {}",
            stdout(&out)
        );
    }
}
