//! The trust rules against the attacks they exist for (SECURITY.md, trust
//! rules 1–3 and 7): a tag-writer, a program writing to the console, a DNS
//! answer, a cache made under other settings. Each test sets the attack up on
//! the testbed and checks it is refused with the victim's files untouched.

use std::fs;
use std::process::Command;

use crate::support::*;

const GITHUB: &str =
    "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";
/// `intranet.example` hashed, as `ssh-keygen -H` leaves it.
const INTRANET_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny";

/// A known_hosts file holding two non-EC2 hosts the user trusts: one plain,
/// one hashed.
fn victim_file(sim: &Sim) -> std::path::PathBuf {
    let kh = sim.path("known_hosts");
    let plain = sim.path("hash-me");
    fs::write(&plain, format!("intranet.example {INTRANET_KEY}\n")).unwrap();
    let out = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let hashed = fs::read_to_string(&plain).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    fs::write(&kh, format!("{GITHUB}{hashed}")).unwrap();
    kh
}

/// The seed store's record of `seed_id`.
fn seed_record(sim: &Sim, seed_id: &str) -> serde_json::Value {
    let store = sim
        .home()
        .join(format!(".local/share/ec2-hostkey/seeds/{seed_id}.json"));
    serde_json::from_slice(&fs::read(store).unwrap()).unwrap()
}

#[test]
fn name_tags_of_foreign_hosts_never_claim_their_lines() {
    let sim = Sim::start();
    let evil = sim.launch(Launch::named("github.com"));
    let evil2 = sim.launch(Launch::named("intranet.example"));
    let kh = victim_file(&sim);
    let victim = fs::read(&kh).unwrap();
    let file = kh.to_str().unwrap();

    for args in [
        vec!["repair", "--known-hosts", file],
        vec!["repair", "--prune", "--known-hosts", file],
    ] {
        let out = sim.run_bin(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(
            fs::read(&kh).unwrap(),
            victim,
            "{args:?} changed the victim's lines"
        );
    }
    let out = sim.run_bin(&["repair", "--dry-run", "--json", "--known-hosts", file]);
    let report = json(&out);
    assert_eq!(report["not_ours"], 1, "{report:#}"); // the plain github.com line; the hashed one is not even tested
    assert_eq!(report["stale"], 0, "{report:#}");
    assert!(
        report["entries"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(&evil.id)
    );

    let nameserver = sim.nameserver();
    for target in ["github.com", "intranet.example"] {
        let out = sim.run_bin(&[
            "forget",
            "--json",
            "--nameserver",
            &nameserver,
            "--known-hosts",
            file,
            target,
        ]);
        assert!(out.status.success(), "forget {target}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["removed"].as_array().unwrap().len(), 0, "{report:#}");
        assert_eq!(
            report["not_ours"].as_array().unwrap().len(),
            1,
            "{report:#}"
        );
        assert_eq!(
            fs::read(&kh).unwrap(),
            victim,
            "forget {target} removed the victim's line"
        );
    }

    let out = sim.run_bin(&["sync", "--aliases", "--json", "--known-hosts", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let text = fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with(std::str::from_utf8(&victim).unwrap()),
        "sync --aliases changed the victim's lines:\n{text}"
    );
    for (inst, alias) in [(&evil, "github.com"), (&evil2, "intranet.example")] {
        let entry = report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["instance"] == inst.id.as_str())
            .unwrap();
        assert_eq!(entry["not_recorded"][0], alias, "{entry:#}");
        // Its own names are still recorded, and plain ssh-keygen finds them.
        assert_eq!(keygen_find(&kh, &inst.ip), sim.keyscan(&inst.ip));
        assert_eq!(keygen_find(&kh, inst.id.as_str()), sim.keyscan(&inst.ip));
    }
    // ssh-keygen still finds only the user's key for both foreign hosts.
    assert_eq!(keygen_find(&kh, "github.com").len(), 1);
    assert_eq!(
        keygen_find(&kh, "intranet.example"),
        vec![INTRANET_KEY.to_string()]
    );
}

#[test]
fn recycled_public_entries_the_user_wrote_are_still_replaced() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("old"));
    let kh = sim.path("known_hosts");
    // The user accepted the old instance's key by hand (no mark), by IP and DNS name.
    let keys = sim.keyscan(&old.ip);
    let mut text = GITHUB.to_string();
    for key in &keys {
        text += &format!("{},{} {key}\n", old.ip, old.dns);
    }
    fs::write(&kh, &text).unwrap();
    sim.terminate(&old.id);
    let new = sim.launch(Launch::named("new").tag("sim:address", &old.ip));
    let out = sim.run_bin(&["repair", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &new.ip), sim.keyscan(&new.ip));
    assert!(fs::read_to_string(&kh).unwrap().starts_with(GITHUB));
}

#[test]
fn a_copied_seed_tag_binds_nothing() {
    let sim = Sim::start();
    let (seed_id, user_data) = sim.seed(&[]);
    // The attacker copies the (public) tag onto an instance of theirs.
    let evil = sim.launch(Launch::named("evil").tag("ec2-hostkey:seed", &seed_id));
    let kh = sim.path("known_hosts");
    let out = sim.run_bin(&[
        "fetch",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
        &evil.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "console-keys");
    assert!(
        stderr(&out).contains("a tag alone never binds a seed"),
        "{}",
        stderr(&out)
    );
    let record = seed_record(&sim, &seed_id);
    assert!(
        record["instance"].is_null(),
        "the tag bound the seed: {record:#}"
    );

    // The real instance, launched with the user-data, is proven by it: no console needed.
    let real = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("real").tag("sim:console-delay", "3600")
    });
    let out = sim.ssh_ok("real", &kh);
    assert!(
        stderr(&out).contains(&format!("source: seed {seed_id}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(seed_record(&sim, &seed_id)["instance"], real.id.as_str());
    // Once bound, the tag on the attacker's instance still moves nothing.
    let out = sim.run_bin(&["fetch", "--json", &evil.id]);
    assert_eq!(json(&out)[0]["source"], "console-keys");
}

#[test]
fn a_binding_line_with_another_digest_binds_nothing() {
    let sim = Sim::start();
    let (seed_id, user_data) = sim.seed(&[]);
    // The seed's id with a digest of other keys (anyone may read the id).
    let line = user_data
        .lines()
        .find(|l| l.starts_with("# ec2-hostkey-seed: "))
        .unwrap()
        .to_string();
    let forged = format!(
        "#!/bin/sh\n# ec2-hostkey-seed: {seed_id} sha256:{}\n",
        "A".repeat(43)
    );
    assert_ne!(line, forged.lines().nth(1).unwrap());
    let evil = sim.launch(Launch {
        user_data: Some(forged),
        ..Launch::named("evil")
    });
    let out = sim.run_bin(&["fetch", "--json", &evil.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "console-keys");
    assert!(stderr(&out).contains("digest"), "{}", stderr(&out));
    let record = seed_record(&sim, &seed_id);
    assert!(
        record["instance"].is_null(),
        "bound by a forged line: {record:#}"
    );
}

#[test]
fn a_name_tag_spelled_like_an_address_decides_nothing_in_repair() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    // Another instance is tagged with web's public IP and DNS name.
    sim.launch(Launch::named(&web.ip));
    sim.launch(Launch::named(&web.dns));
    let out = sim.run_bin(&[
        "repair",
        "--dry-run",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    let report = json(&out);
    assert_eq!(report["stale"], 0, "{report:#}");
    assert_eq!(report["unverified"], 0, "{report:#}");
    assert_eq!(
        report["fine"],
        report["entries"].as_array().unwrap().len(),
        "{report:#}"
    );
}

#[test]
fn concurrent_first_connections_bind_a_seed_once() {
    let sim = Sim::start();
    let (_, user_data) = sim.seed(&[]);
    // Two instances whose user-data both name the seed (one launched twice by mistake).
    let twins: Vec<Launched> = (0..2)
        .map(|i| {
            sim.launch(Launch {
                user_data: Some(user_data.clone()),
                ..Launch::named(&format!("twin{i}"))
            })
        })
        .collect();
    let children: Vec<_> = twins
        .iter()
        .flat_map(|t| [t, t])
        .map(|t| {
            let mut cmd = sim.bin();
            cmd.args(["fetch", "--json", &t.id])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut seeded = std::collections::HashSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let report = json(&out);
        if report[0]["source"] == "seed" {
            seeded.insert(report[0]["instance"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seeded.len(), 1, "the seed vouched for {seeded:?}");
}

#[test]
fn case_variants_of_a_name_are_ambiguous() {
    let sim = Sim::start();
    let upper = sim.launch(Launch::named("Web-1"));
    let lower = sim.launch(Launch::named("web-1"));
    let kh = sim.path("known_hosts");
    let out = sim.run_bin(&["fetch", "--known-hosts", kh.to_str().unwrap(), "web-1"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for id in [&upper.id, &lower.id] {
        assert!(stderr(&out).contains(id.as_str()), "{}", stderr(&out));
    }
    let out = sim.ssh("web-1", &kh, "", &["true"]);
    assert!(!out.status.success());
    assert!(!kh.exists() || fs::read(&kh).unwrap().is_empty());
}

#[test]
fn a_positive_dns_answer_is_final() {
    let sim = Sim::start();
    sim.launch(Launch::named("app.example.test"));
    // DNS sends app.example.test somewhere outside the account.
    sim.dns("app.example.test", "192.0.2.7");
    let ns = sim.nameserver();
    let out = sim.run_bin(&["fetch", "--nameserver", &ns, "app.example.test"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("192.0.2.7"), "{}", stderr(&out));
    // A resolver that fails is an error, not a reason to try Name tags.
    let out = sim.run_bin(&["fetch", "--nameserver", "127.0.0.1:9", "app.example.test"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("DNS lookup"), "{}", stderr(&out));
    // A name DNS does not know may still be a Name tag.
    let tagged = sim.launch(Launch::named("db.example.test"));
    let out = sim.run_bin(&["fetch", "--json", "--nameserver", &ns, "db.example.test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["instance"], tagged.id.as_str());
}

#[test]
fn name_records_never_serve_another_region() {
    let sim = Sim::start();
    let east = sim.launch(Launch::named("web"));
    let west = sim.launch_in("eu-west-1", Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    let server = |region: &str| {
        let proxy = format!("{BIN} proxy --known-hosts {} %h %p", kh.display());
        let out = sim.ssh_opts(
            "web",
            &kh,
            &[format!("ProxyCommand={proxy}")],
            &[("AWS_REGION", region)],
            &["sh", "-c", "'echo $SSH_CONNECTION'"],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_string()
    };
    // Within the TTL, the us-east-1 record must not answer for eu-west-1.
    assert_eq!(server("eu-west-1"), west.ip);
    assert_eq!(server("us-east-1"), east.ip);
}

/// A complete host-key block printed after cloud-init's, in the same boot.
fn fake_block(prefix: &str, key: &str) -> String {
    format!(
        "{prefix}-----BEGIN SSH HOST KEY KEYS-----\n{prefix}{key}\n{prefix}-----END SSH HOST KEY KEYS-----\n"
    )
}

#[test]
fn a_later_block_in_the_same_boot_is_refused() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.append_console(&web.id, &fake_block("app: ", INTRANET_KEY));
    let kh = sim.path("known_hosts");
    fs::write(&kh, GITHUB).unwrap();
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_refused_unwritten(&out, "self-contradictory", &kh, Some(GITHUB.as_bytes()));
    let out = sim.ssh("web", &kh, "", &["true"]);
    assert_refused_unwritten(&out, "self-contradictory", &kh, Some(GITHUB.as_bytes()));
    let out = sim.run_bin(&["sync", "--known-hosts", kh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&kh).unwrap(), GITHUB, "nothing written");
}

#[test]
fn a_fingerprints_block_that_contradicts_the_keys_is_refused() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web").tag("sim:key-types", "ed25519"));
    let other = sim.launch(Launch::named("other").tag("sim:key-types", "ed25519"));
    // The other instance's real fingerprint line, printed on web's console.
    let out = sim.run_bin(&["fetch", "--json", &other.id]);
    let fp = json(&out)[0]["keys"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    sim.append_console(
        &web.id,
        &format!(
            "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\nec2: 256 {fp} root@x (ED25519)\nec2: -----END SSH HOST KEY FINGERPRINTS-----\n"
        ),
    );
    let kh = sim.path("known_hosts");
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_refused_unwritten(&out, "self-contradictory", &kh, None);
}

#[test]
fn a_stray_end_marker_merges_nothing_into_the_block() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    sim.append_console(
        &web.id,
        &format!("{INTRANET_KEY}\n-----END SSH HOST KEY KEYS-----\n"),
    );
    let out = sim.run_bin(&["fetch", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(INTRANET_KEY), "{}", stdout(&out));
    let mut got: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with(&web.ip))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .collect();
    got.sort();
    assert_eq!(got, sim.keyscan(&web.ip));
}

#[test]
fn a_rekey_wins_over_the_cache_everywhere() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    let old = sim.keyscan(&web.ip);
    let new = sim.rekey(&web.id);
    assert_ne!(old, new);
    let file = kh.to_str().unwrap();

    let out = sim.run_bin(&["repair", "--dry-run", "--json", "--known-hosts", file]);
    let report = json(&out);
    assert!(report["stale"].as_u64().unwrap() > 0, "{report:#}");
    assert_eq!(report["fine"], 0, "{report:#}");

    let out = sim.run_bin(&["fetch", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    for key in &new {
        assert!(stdout(&out).contains(key.as_str()), "{}", stdout(&out));
    }

    let out = sim.run_bin(&["sync", "--json", "--known-hosts", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["replaced"], 1);
    assert_eq!(keygen_find(&kh, &web.ip), new);
    // sync records the DNS name and address; the alias typed through ssh
    // earlier (our own line) is repair's to fix.
    let out = sim.run_bin(&["repair", "--json", "--known-hosts", file]);
    let report = json(&out);
    assert_eq!(report["stale"], 3, "{report:#}");
    assert!(
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["names"][0] == "web" || e["status"] == "fine")
    );
    let out = sim.run_bin(&["repair", "--json", "--known-hosts", file]);
    assert_eq!(json(&out)["stale"], 0);
    // The alias was replaced by repair, so ssh to it works again.
    sim.ssh_ok("web", &kh);
    assert_eq!(keygen_find(&kh, "web"), new);
}

#[test]
fn seed_output_replaces_a_file_or_symlink_with_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start();
    let existing = sim.path("ud-existing");
    fs::write(&existing, "old").unwrap();
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o644)).unwrap();
    let target = sim.path("precious");
    fs::write(&target, "do not touch").unwrap();
    let link = sim.path("ud-link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for path in [&existing, &link] {
        let out = sim.run_bin(&["seed", "--output", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("> "), "{}", stderr(&out));
        let meta = fs::symlink_metadata(path).unwrap();
        assert!(meta.is_file(), "{path:?} is not a regular file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(
            fs::read_to_string(path)
                .unwrap()
                .starts_with("#cloud-config")
        );
    }
    assert_eq!(fs::read_to_string(&target).unwrap(), "do not touch");
}

/// The API's answers vouch for host keys, so they count only over TLS whose
/// certificate is trusted: the system's roots plus `AWS_CA_BUNDLE`. An API
/// endpoint whose certificate is not trusted (a proxy, a spoofed endpoint)
/// gets no request answered, and nothing is written.
#[test]
fn the_api_vouches_only_over_a_trusted_tls_connection() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let https = sim.endpoint_https();
    let ca = sim.ca_bundle();
    let proxy = [format!(
        "ProxyCommand={BIN} proxy --no-cache --known-hosts {} %h %p",
        kh.display()
    )];
    let through =
        |env: &[(&str, &str)]| sim.ssh_opts(&web.id, &kh, &proxy, env, &["echo", "ok"], None);

    // The testbed's CA is not among the system's roots.
    sim.reset_calls();
    let out = through(&[("AWS_ENDPOINT_URL", &https)]);
    assert!(!out.status.success(), "connected through an untrusted API");
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach AWS for ec2:DescribeInstances") && err.contains("AWS_CA_BUNDLE"),
        "{err}"
    );
    assert!(
        sim.calls().is_empty(),
        "a request was answered: {:?}",
        sim.calls()
    );
    assert!(!kh.exists(), "nothing written");

    // Trusted through AWS_CA_BUNDLE, as a user behind an inspecting proxy
    // would set it: verified, no prompt.
    let out = through(&[
        ("AWS_ENDPOINT_URL", &https),
        ("AWS_CA_BUNDLE", ca.to_str().unwrap()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(sim.calls().contains(&"GetConsoleOutput".to_string()));
    let recorded = fs::read_to_string(&kh).unwrap();
    assert!(recorded.contains(&web.id), "{recorded}");

    // A bundle that cannot be used is refused before any request.
    let junk = sim.path("junk.pem");
    fs::write(&junk, "not a certificate\n").unwrap();
    sim.reset_calls();
    let out = through(&[
        ("AWS_ENDPOINT_URL", &https),
        ("AWS_CA_BUNDLE", junk.to_str().unwrap()),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("AWS_CA_BUNDLE") && err.contains("holds no PEM certificate"),
        "{err}"
    );
    assert!(sim.calls().is_empty(), "{:?}", sim.calls());
    assert_eq!(
        fs::read_to_string(&kh).unwrap(),
        recorded,
        "known_hosts untouched"
    );

    // A bundle others could swap: in a directory they may write to, or a
    // FIFO (which must not hang ssh either).
    use std::os::unix::fs::PermissionsExt;
    let shared = sim.path("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o775)).unwrap();
    let swappable = shared.join("ca.pem");
    fs::copy(&ca, &swappable).unwrap();
    let fifo = sim.path("ca.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (bundle, problem) in [
        (&swappable, "shared is group- or world-writable"),
        (&fifo, "not a regular file"),
    ] {
        let out = through(&[
            ("AWS_ENDPOINT_URL", &https),
            ("AWS_CA_BUNDLE", bundle.to_str().unwrap()),
        ]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("AWS_CA_BUNDLE") && err.contains(problem),
            "{err}"
        );
    }
    assert!(sim.calls().is_empty(), "{:?}", sim.calls());

    // Sections other than certificates (a key pasted in) are passed over.
    let mixed = sim.path("mixed.pem");
    let key = fs::read_to_string(sim.client_key()).unwrap();
    fs::write(&mixed, format!("{key}{}", fs::read_to_string(&ca).unwrap())).unwrap();
    let out = through(&[
        ("AWS_ENDPOINT_URL", &https),
        ("AWS_CA_BUNDLE", mixed.to_str().unwrap()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Plain HTTP is taken only from this machine or a link-local service
/// (IMDS): from anywhere else, anyone on the path could answer. Refused
/// before a byte is sent, naming the fix; nothing written.
#[test]
fn plain_http_beyond_this_machine_is_refused_before_any_request() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    // A listener on a non-loopback address of this machine would answer;
    // the refusal comes first, so no address need listen.
    let mut cmd = sim.bin();
    cmd.env("AWS_ENDPOINT_URL_EC2", "http://192.0.2.10:8080")
        .args(["fetch", "--no-cache", "--write", "--known-hosts"])
        .arg(&kh)
        .arg(&web.id);
    let out = run(cmd, None);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("will not ask AWS for ec2:DescribeInstances over plain HTTP at 192.0.2.10")
            && err.contains("https://"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!kh.exists(), "nothing written");

    // The same API on this machine over plain HTTP (the testbed, a local
    // emulator) is taken.
    let out = sim.run_bin(&["fetch", "--no-cache", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
}
