//! `seed`: keys generated before launch, trusted with no console output; the
//! S3 presigned-URL delivery.

use std::fs;

use crate::support::*;

#[test]
fn seeded_instance_connects_with_no_console_output() {
    let sim = Sim::start();
    let (id, user_data) = sim.seed(&["--type", "ed25519", "--type", "ecdsa"]);
    assert!(user_data.starts_with("#cloud-config\n") && user_data.contains("ssh_keys:"));
    let web = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("seeded")
            .tag("ec2-hostkey:seed", &id)
            .tag("sim:console-delay", "3600")
    });
    let kh = sim.path("known_hosts");
    sim.reset_calls();
    let out = sim.ssh_ok("seeded", &kh);
    assert!(
        stderr(&out).contains(&format!("source: seed {id}")),
        "{}",
        stderr(&out)
    );
    assert!(
        !sim.calls().contains(&"GetConsoleOutput".to_string()),
        "{:?}",
        sim.calls()
    );
    let presented = sim.keyscan(&web.ip);
    assert_eq!(presented.len(), 2);
    assert_eq!(keygen_find(&kh, &web.ip), presented);
    let store = fs::read_to_string(
        sim.home()
            .join(format!(".local/share/ec2-hostkey/seeds/{id}.json")),
    )
    .unwrap();
    assert!(
        store.contains(&web.id),
        "the seed is now bound to {}",
        web.id
    );
    assert!(
        !store.contains("PRIVATE"),
        "the store keeps public keys only"
    );
}

#[test]
fn script_format_and_seed_bind_work_without_a_tag() {
    let sim = Sim::start();
    let (id, user_data) = sim.seed(&["--format", "script"]);
    assert!(user_data.starts_with("#!/bin/sh\n"));
    let web = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("bound").tag("sim:console-delay", "3600")
    });
    let out = sim.run_bin(&["seed", "bind", &id, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("bound", &kh);
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
    // A bound seed vouches for no other instance.
    let out = sim.run_bin(&["seed", "bind", &id, "i-0123456789abcdef0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already bound"), "{}", stderr(&out));
}

#[test]
fn a_seed_bound_to_one_instance_never_vouches_for_another() {
    let sim = Sim::start();
    let (id, user_data) = sim.seed(&[]);
    let _first = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("first").tag("ec2-hostkey:seed", &id)
    });
    let kh = sim.path("known_hosts");
    sim.ssh_ok("first", &kh);
    // Someone tags another instance with the same seed: its own keys are not the seed's.
    let second = sim.launch(
        Launch::named("second")
            .tag("ec2-hostkey:seed", &id)
            .tag("sim:mitm", "true"),
    );
    let out = sim.ssh("second", &kh, "", &["true"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("a tag alone never binds a seed"), "{err}");
    assert!(
        err.contains("HOST KEY MISMATCH"),
        "falls back to the console, which refuses: {err}"
    );
    assert!(keygen_find(&kh, &second.ip).is_empty());
}

#[test]
fn s3_delivery_fetches_once_then_the_object_is_gone_and_the_url_expires() {
    let sim = Sim::start();
    sim.create_bucket("seeds");
    let (id, user_data) = sim.seed(&["--s3", "s3://seeds/hostkeys", "--expires", "5m"]);
    assert!(
        !user_data.contains("PRIVATE KEY"),
        "user-data must hold no private key:\n{user_data}"
    );
    let url = user_data
        .lines()
        .find_map(|l| l.strip_prefix("url='").and_then(|u| u.strip_suffix('\'')))
        .expect("presigned URL in user-data")
        .to_string();
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    assert_eq!(http_status(&url), 200);

    let web = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("s3seeded")
            .tag("ec2-hostkey:seed", &id)
            .tag("sim:console-delay", "3600")
    });
    let kh = sim.path("known_hosts");
    let out = sim.ssh_ok("s3seeded", &kh);
    assert!(
        stderr(&out).contains("deleted s3://seeds/hostkeys/"),
        "{}",
        stderr(&out)
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
    assert!(
        !sim.object_exists("seeds", &format!("hostkeys/{id}.sh")),
        "object deleted after first use"
    );
    assert_ne!(http_status(&url), 200, "the URL no longer works");

    // A seed whose URL expired unused: dead URL, and `seed cleanup` removes the object.
    let (id2, user_data2) = sim.seed(&["--s3", "s3://seeds/hostkeys", "--expires", "1s"]);
    let url2 = user_data2
        .lines()
        .find_map(|l| l.strip_prefix("url='").and_then(|u| u.strip_suffix('\'')))
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(http_status(&url2), 403, "expired presigned URL is refused");
    assert!(sim.object_exists("seeds", &format!("hostkeys/{id2}.sh")));
    let out = sim.run_bin(&["seed", "cleanup"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!sim.object_exists("seeds", &format!("hostkeys/{id2}.sh")));
}

/// HTTP status of a GET to a loopback URL.
fn http_status(url: &str) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
