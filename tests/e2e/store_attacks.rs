//! The team store and seeds against anyone who can write — or own — the
//! bucket: a stranger's bucket under the team's name, a decoy dated in the
//! future, a flood of objects, a squatter at a record's name, a versioned
//! seed bucket that would keep private keys after "delete".

use std::fs;

use ec2_hostkey::store::team::{Record, StoreUrl};

use crate::support::*;

const BUCKET: &str = "team-hostkeys";
const STORE: &str = "s3://team-hostkeys/ssh";

/// A record of `instance` listing `keys`, as a bucket writer would forge it.
fn record(instance: &str, keys: Vec<String>, verified_at: &str) -> Record {
    Record {
        format: 1,
        account: "123456789012".into(),
        region: "us-east-1".into(),
        instance_id: instance.into(),
        keys,
        source: "console".into(),
        console_block: None,
        verified_at: verified_at.into(),
        verified_by: "arn:aws:iam::123456789012:user/mallory".into(),
        stored: None,
    }
}

fn key_of(record: &Record) -> String {
    StoreUrl::parse(STORE).unwrap().key_for(record)
}

fn store_ssh(sim: &Sim, home: &str, host: &str, kh: &std::path::Path) -> std::process::Output {
    let proxy = format!(
        "{BIN} proxy --store {STORE} --known-hosts {} %h %p",
        kh.display()
    );
    let options = [format!("ProxyCommand={proxy}")];
    sim.ssh_opts(host, kh, &options, &[("HOME", home)], &["echo", "ok"], None)
}

fn fresh_home(sim: &Sim, name: &str) -> String {
    let home = sim.path(name);
    fs::create_dir_all(&home).unwrap();
    home.display().to_string()
}

#[test]
fn a_bucket_of_another_account_is_refused_before_anything_is_read_or_written() {
    let sim = Sim::start();
    // The team typed the name of a bucket a stranger registered (and lets anyone write).
    sim.create_foreign_bucket("111111111111", BUCKET);
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["sync", "--publish", "--store", STORE]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("is not a bucket of account 123456789012"),
        "{said}"
    );
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    // A connection does not trust it and still verifies from the console.
    let kh = sim.path("kh");
    let out = store_ssh(&sim, &fresh_home(&sim, "home-b"), &web.id, &kh);
    assert!(out.status.success(), "{}", stderr(&out));
    // Nothing landed there, and nothing of it was read.
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--store", STORE, "--source", "store", &web.id]);
    assert!(!out.status.success());
    assert!(
        !sim.calls().iter().any(|c| c == "s3:GetObject"),
        "{:?}",
        sim.calls()
    );
    assert!(
        sim.objects(BUCKET, "").is_empty(),
        "{:?}",
        sim.objects(BUCKET, "")
    );

    // --store-owner names the account that must own it; that one is accepted.
    let out = sim.run_bin(&[
        "--store-owner",
        "111111111111",
        "fetch",
        "--store",
        STORE,
        &web.id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Seeds too: the private keys never go to a stranger's bucket.
    sim.create_foreign_bucket("111111111111", "seeds");
    let out = sim.run_bin(&[
        "seed",
        "--s3",
        "s3://seeds/hostkeys",
        "--output",
        "/dev/null",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("must belong to account 123456789012"),
        "{}",
        stderr(&out)
    );
    assert!(sim.objects("seeds", "").is_empty());
}

#[test]
fn records_are_ordered_by_s3_not_by_the_date_their_writer_typed() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    // A decoy written first, claiming a date far in the future, with a key of the attacker's.
    let stranger =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";
    let decoy = record(&web.id, vec![stranger.into()], "9999-12-31T23:59:59Z");
    sim.put_object(
        BUCKET,
        &key_of(&decoy),
        &serde_json::to_vec(&decoy).unwrap(),
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // The genuine record, published after it.
    let out = sim.run_bin(&["fetch", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&key_of(&decoy)),
        "the decoy is reported with its object: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("as the record claims"),
        "{}",
        stderr(&out)
    );

    // A colleague, the console's block gone: the genuine record (newest by S3) vouches.
    sim.scroll_console(&web.id);
    let kh = sim.path("kh");
    let out = store_ssh(&sim, &fresh_home(&sim, "home-b"), &web.id, &kh);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_recorded_genuine(&sim, &kh, &web);
}

/// known_hosts holds keys for `web`'s id, every one of them its sshd's own.
fn assert_recorded_genuine(sim: &Sim, kh: &std::path::Path, web: &Launched) {
    let recorded = keygen_find(kh, &sim.name(&web.id));
    let genuine = sim.keyscan(&web.ip);
    assert!(!recorded.is_empty());
    assert!(recorded.iter().all(|k| genuine.contains(k)), "{recorded:?}");
}

#[test]
fn a_flood_of_objects_costs_one_bounded_listing() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["fetch", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let prefix = format!("ssh/123456789012/us-east-1/{}/", web.id);
    for i in 0..5000 {
        sim.put_object(BUCKET, &format!("{prefix}junk-{i:05}"), b"{}");
    }
    sim.reset_calls();
    let kh = sim.path("kh");
    let out = store_ssh(&sim, &fresh_home(&sim, "home-b"), &web.id, &kh);
    // Verified: by the record when it is in the one page read, else by the console.
    assert!(out.status.success(), "{}", stderr(&out));
    assert_recorded_genuine(&sim, &kh, &web);
    assert!(
        stderr(&out).contains("skipped"),
        "the flood is reported: {}",
        stderr(&out)
    );
    let calls = sim.calls();
    let count = |name: &str| calls.iter().filter(|c| *c == name).count();
    // One page to read the records, and one more only to publish when the
    // console vouched: never the 6 pages the prefix holds.
    assert!(count("s3:ListObjectsV2") <= 2, "{calls:?}");
    assert!(count("s3:GetObject") <= 2 * 32, "{calls:?}");
}

#[test]
fn a_squatted_record_name_is_a_conflict_naming_the_object() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    // Junk at the exact name web's genuine record would take.
    let genuine = record(
        &web.id,
        sim.host_keys()[&web.id].clone(),
        "2026-01-01T00:00:00Z",
    );
    let taken = key_of(&genuine);
    sim.put_object(BUCKET, &taken, b"not a record");
    let out = sim.run_bin(&["sync", "--publish", "--json", "--store", STORE]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(json(&out)["instances"][0]["published"], "conflict");
    let text = stdout(&sim.run_bin(&["sync", "--publish", "--store", STORE]));
    assert!(text.contains(&taken), "{text}");
    assert_eq!(
        sim.get_object(BUCKET, &taken),
        b"not a record",
        "nothing overwritten"
    );
}

#[test]
fn a_versioned_seed_bucket_keeps_no_version_of_the_private_keys() {
    let sim = Sim::start();
    sim.create_bucket("seeds");
    sim.enable_versioning("seeds");
    let (id, user_data) = sim.seed(&["--s3", "s3://seeds/hostkeys"]);
    let key = format!("hostkeys/{id}.sh");
    assert!(sim.versions("seeds", &key) >= 1);
    let web = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("seeded").tag("sim:console-delay", "3600")
    });
    let kh = sim.path("kh");
    sim.ssh_ok("seeded", &kh);
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
    assert_eq!(
        sim.versions("seeds", &key),
        0,
        "a version of the private keys is left"
    );
    let out = sim.run_bin(&["seed", "cleanup"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no seed object is left"),
        "{}",
        stderr(&out)
    );

    // Inline keys are said to be readable.
    let out = sim.run_bin(&["seed", "--output", sim.path("ud").to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("ec2:DescribeInstanceAttribute"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_binding_line_copied_into_an_older_instance_never_binds() {
    let sim = Sim::start();
    let (_, user_data) = sim.seed(&[]);
    // An instance launched an hour before the seed existed, its user-data
    // carrying the seed's line (someone copied it in while it was stopped).
    let old = sim.launch(Launch {
        user_data: Some(user_data),
        ..Launch::named("old").tag("sim:launched-ago", "3600")
    });
    let out = sim.run_bin(&["fetch", "--json", &old.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(json(&out)[0]["source"], "seed", "{}", stdout(&out));
    assert!(
        stderr(&out).contains("launched before seed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_configured_seed_bucket_makes_s3_delivery_the_default() {
    let sim = Sim::start();
    sim.create_bucket("seeds");
    let config = sim.home().join(".config/ec2-hostkey");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("config.toml"),
        "seed_bucket = \"s3://seeds/hostkeys\"\n",
    )
    .unwrap();
    let (id, user_data) = sim.seed(&[]);
    assert!(!user_data.contains("PRIVATE KEY"), "{user_data}");
    assert!(sim.object_exists("seeds", &format!("hostkeys/{id}.sh")));
    // --inline opts out, and is warned about.
    let ud = sim.path("inline");
    let out = sim.run_bin(&["seed", "--inline", "--output", ud.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read_to_string(&ud).unwrap().contains("PRIVATE KEY"));
    assert!(
        stderr(&out).contains("warning: the user-data holds the private host keys"),
        "{}",
        stderr(&out)
    );
}
