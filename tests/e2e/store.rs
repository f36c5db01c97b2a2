//! The team store on S3: one engineer's verification answers a colleague's
//! first connection with one S3 read, and answers at all once the console
//! no longer holds the keys — while a record still vouches only for a key
//! the live server presents, and a fresh read overrules it.

use std::fs;
use std::process::Output;

use ec2_hostkey::store::team::{Record, StoreUrl};

use crate::support::*;

const BUCKET: &str = "team-hostkeys";
const STORE: &str = "s3://team-hostkeys/ssh";

/// The records stored for `id`, parsed.
fn records(sim: &Sim, id: &str) -> Vec<Record> {
    sim.objects(BUCKET, "ssh/")
        .iter()
        .filter(|k| k.contains(&format!("/{id}/")))
        .map(|k| serde_json::from_slice(&sim.get_object(BUCKET, k)).unwrap())
        .collect()
}

/// Puts `record` where the tool would, as someone who can write the bucket.
fn plant(sim: &Sim, record: &Record) {
    let key = StoreUrl::parse(STORE).unwrap().key_for(record);
    sim.put_object(BUCKET, &key, &serde_json::to_vec(record).unwrap());
}

/// Engineer B: another HOME (no cache, no seeds), another known_hosts file.
fn colleague(sim: &Sim) -> String {
    let home = sim.path("home-b");
    fs::create_dir_all(&home).unwrap();
    home.display().to_string()
}

fn ssh_as(sim: &Sim, home: &str, host: &str, kh: &std::path::Path) -> Output {
    let proxy = format!(
        "{BIN} proxy --store {STORE} --known-hosts {} %h %p",
        kh.display()
    );
    sim.ssh_opts(
        host,
        kh,
        &[format!("ProxyCommand={proxy}")],
        &[("HOME", home)],
        &["echo", "ok"],
        None,
    )
}

#[test]
fn a_colleague_connects_from_the_store_after_the_console_block_is_gone() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let keys = sim.host_keys()[&web.id].clone();

    // Engineer A: verified from the console, and published.
    let kh_a = sim.path("kh-a");
    let home_a = sim.home().display().to_string();
    let out = ssh_as(&sim, &home_a, "web", &kh_a);
    assert!(out.status.success(), "{}", stderr(&out));
    let published = records(&sim, &web.id);
    assert_eq!(published.len(), 1, "{:?}", sim.objects(BUCKET, ""));
    let record = &published[0];
    assert_eq!(record.source, "console");
    assert_eq!(record.region, "us-east-1");
    assert!(record.verified_by.starts_with("arn:aws:"), "{record:?}");
    assert!(
        record
            .console_block
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    let mut recorded = record.keys.clone();
    recorded.sort();
    let mut live = keys.clone();
    live.sort();
    assert_eq!(recorded, live);

    // The console's block scrolls out; engineer B connects with nothing cached.
    sim.scroll_console(&web.id);
    sim.reset_calls();
    let kh_b = sim.path("kh-b");
    let out = ssh_as(&sim, &colleague(&sim), "web", &kh_b);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(stderr(&out).contains("the team store s3://team-hostkeys/ssh (verified by arn:aws:"));
    let calls = sim.calls();
    let count = |name: &str| calls.iter().filter(|c| *c == name).count();
    assert_eq!(count("GetConsoleOutput"), 0, "{calls:?}");
    assert_eq!(count("s3:GetObject"), 1, "{calls:?}");
    assert_eq!(count("s3:ListObjectsV2"), 1, "{calls:?}");
    // Nothing is published again for keys the store vouched for.
    assert_eq!(count("s3:PutObject"), 0, "{calls:?}");
    // Only what the server presented: a record vouches for nothing more.
    let recorded = keygen_find(&kh_b, "web");
    assert!(!recorded.is_empty() && recorded.iter().all(|k| keys.contains(k)));
    assert_eq!(keygen_find(&kh_b, &web.ip), recorded);
}

#[test]
fn a_key_added_to_a_record_beside_the_real_ones_is_never_recorded() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let evil = sim.launch(Launch::named("evil"));
    let out = sim.run_bin(&["fetch", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A bucket writer adds their own key to a copy of web's genuine record.
    let mut padded = records(&sim, &web.id).remove(0);
    let evil_keys = sim.host_keys()[&evil.id].clone();
    padded.keys.extend(evil_keys.iter().cloned());
    padded.verified_at = "2999-01-01T00:00:00Z".into(); // the newest
    plant(&sim, &padded);
    sim.scroll_console(&web.id);

    let kh = sim.path("kh-b");
    let home = colleague(&sim);
    let out = ssh_as(&sim, &home, "web", &kh);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&kh).unwrap();
    for key in &evil_keys {
        let data = key.split_whitespace().nth(1).unwrap();
        assert!(!text.contains(data), "an unpresented key was recorded");
    }
    // Nor does sync (no connection) take more than the probe shows.
    let kh_sync = sim.path("kh-sync");
    let mut cmd = sim.bin();
    cmd.env("HOME", &home).args([
        "sync",
        "--store",
        STORE,
        "--known-hosts",
        kh_sync.to_str().unwrap(),
    ]);
    let out = run(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    // (evil's own keys are recorded for evil: only web's names matter.)
    let web_keys = sim.host_keys()[&web.id].clone();
    let for_web = keygen_find(&kh_sync, &web.ip);
    assert!(!for_web.is_empty());
    assert!(for_web.iter().all(|k| web_keys.contains(k)), "{for_web:?}");
}

#[test]
fn a_record_the_live_server_does_not_present_is_refused_and_nothing_is_written() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let kh_a = sim.path("kh-a");
    let out = ssh_as(&sim, &sim.home().display().to_string(), "web", &kh_a);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(records(&sim, &web.id).len(), 1);

    // The server now presents other keys, and no source can say why.
    sim.rekey_quietly(&web.id);
    sim.scroll_console(&web.id);
    let kh_b = sim.path("kh-b");
    let out = ssh_as(&sim, &colleague(&sim), "web", &kh_b);
    assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh_b, None);
    assert!(stderr(&out).contains("team store"), "{}", stderr(&out));
    // The record is unchanged: nothing was published for an unverified key.
    assert_eq!(records(&sim, &web.id).len(), 1);
}

#[test]
fn a_tampered_record_is_overruled_by_a_fresh_console_read_and_reported() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let other = sim.launch(Launch::named("other"));
    // A genuine record of another instance, re-labelled as web's by a bucket writer.
    let out = sim.run_bin(&["fetch", "--store", STORE, &other.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut forged = records(&sim, &other.id).remove(0);
    forged.instance_id = web.id.clone();
    plant(&sim, &forged);

    // A connection: the forged record lists the other instance's keys, so
    // the console decides, the connection is verified by it, and the
    // disagreement is reported as the genuine record is published.
    let keys = sim.host_keys()[&web.id].clone();
    let kh = sim.path("kh-b");
    let out = ssh_as(&sim, &colleague(&sim), &web.id, &kh);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &web.ip), keys);
    assert!(stderr(&out).contains("tampered with"), "{}", stderr(&out));
    assert_eq!(records(&sim, &web.id).len(), 2);

    // fetch sees no live key: the console comes first and wins; the forged
    // record is reported again, nothing new is written.
    let out = sim.run_bin(&["fetch", "--no-cache", "--json", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["source"], "console-keys");
    assert!(
        stderr(&out).contains("holds a record for") && stderr(&out).contains("tampered with"),
        "{}",
        stderr(&out)
    );
    let mut printed: Vec<String> = json(&out)[0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                k["type"].as_str().unwrap(),
                k["key"].as_str().unwrap()
            )
        })
        .collect();
    printed.sort();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(printed, expected);
    assert_eq!(records(&sim, &web.id).len(), 2);
}

#[test]
fn records_are_create_only() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["fetch", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = sim.objects(BUCKET, "ssh/").remove(0);
    let first = sim.get_object(BUCKET, &key);

    // A second verification of the same keys writes nothing.
    sim.reset_calls();
    let out = sim.run_bin(&["fetch", "--no-cache", "--store", STORE, &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !sim.calls().iter().any(|c| c == "s3:PutObject"),
        "{:?}",
        sim.calls()
    );
    assert_eq!(sim.get_object(BUCKET, &key), first);

    // Two machines verifying a fresh instance at once leave one record.
    let db = sim.launch(Launch::named("db"));
    let home_b = colleague(&sim);
    let spawn = |home: &str| {
        let mut cmd = sim.bin();
        cmd.env("HOME", home)
            .args(["fetch", "--no-cache", "--store", STORE, &db.id]);
        std::thread::spawn(move || run(cmd, None))
    };
    let a = spawn(&sim.home().display().to_string());
    let b = spawn(&home_b);
    for out in [a.join().unwrap(), b.join().unwrap()] {
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(records(&sim, &db.id).len(), 1);
}

#[test]
fn sync_publish_fills_the_store_and_a_colleagues_sync_reads_it_alone() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    // One key type: B's sync probes each sshd, and 200 RSA host keys would
    // cost the testbed a minute of key generation for nothing this test checks.
    let fleet = sim.launch_many(
        Launch::named("fleet").tag("sim:key-types", "ed25519"),
        200,
        None,
    );
    let kh_a = sim.path("kh-a");
    let out = sim.run_bin(&[
        "sync",
        "--publish",
        "--json",
        "--store",
        STORE,
        "--known-hosts",
        kh_a.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["published"], 200, "{report}");
    assert!(
        report["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["published"] == "new")
    );
    assert_eq!(sim.objects(BUCKET, "ssh/").len(), 200);

    // B: a fresh known_hosts from the store alone (no console call at all).
    sim.reset_calls();
    let kh_b = sim.path("kh-b");
    let mut cmd = sim.bin();
    cmd.env("HOME", colleague(&sim)).args([
        "sync",
        "--source",
        "store",
        "--store",
        STORE,
        "--json",
        "--known-hosts",
        kh_b.to_str().unwrap(),
    ]);
    let out = run(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["added"], 200, "{report}");
    let first = &report["instances"][0];
    assert_eq!(first["source"], "store");
    assert!(
        first["verified_by"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:")
    );
    assert!(!sim.calls().iter().any(|c| c == "GetConsoleOutput"));
    let lines = |path: &std::path::Path| fs::read_to_string(path).unwrap().lines().count();
    assert_eq!(lines(&kh_a), lines(&kh_b));
    for instance in &fleet {
        let from_store = keygen_find(&kh_b, &instance.ip);
        assert!(!from_store.is_empty());
        assert_eq!(from_store, keygen_find(&kh_a, &instance.ip));
    }
}

#[test]
fn the_store_comes_from_the_config_file_and_doctor_checks_its_bucket() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let config = sim.home().join(".config/ec2-hostkey");
    fs::create_dir_all(&config).unwrap();
    fs::write(config.join("config.toml"), format!("store = \"{STORE}\"\n")).unwrap();
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["fetch", &web.id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(records(&sim, &web.id).len(), 1);

    // A new bucket: no versioning, no default encryption.
    let out = sim.run_bin(&["doctor", "--json"]);
    let report = json(&out);
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report}"))
            .clone()
    };
    assert_eq!(check("team store s3://team-hostkeys/ssh")["status"], "ok");
    assert_eq!(
        check("store bucket versioning")["status"],
        "fail",
        "{report}"
    );
    assert!(
        check("store bucket versioning")["fix"]
            .as_str()
            .unwrap()
            .contains("put-bucket-versioning")
    );
    assert_eq!(check("store bucket encryption")["status"], "fail");
    assert!(!out.status.success());

    // Once secured as docs/team-store.md says, every store check passes.
    sim.secure_bucket(BUCKET);
    let out = sim.run_bin(&["doctor", "--json"]);
    let report = json(&out);
    let store_checks: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let name = c["check"].as_str().unwrap();
            name.starts_with("team store") || name.starts_with("store bucket")
        })
        .collect();
    assert_eq!(store_checks.len(), 5, "{report}");
    assert!(store_checks.iter().all(|c| c["status"] == "ok"), "{report}");

    // A bucket that is not there: one FAIL naming it.
    let out = sim.run_bin(&["doctor", "--store", "s3://no-such-bucket/x"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("FAIL  team store s3://no-such-bucket/x: not reachable"),
        "{}",
        stdout(&out)
    );
    // A malformed --store is a usage error, exit 2.
    let out = sim.run_bin(&["fetch", "--store", "team-hostkeys", &web.id]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--store"), "{}", stderr(&out));
}

#[test]
fn the_generated_ssh_config_and_repair_publish_too() {
    let sim = Sim::start();
    sim.create_bucket(BUCKET);
    let web = sim.launch(Launch::named("web"));
    let db = sim.launch(Launch::named("db"));
    let kh = sim.path("known_hosts");

    // The block `ssh-config --store` prints, used verbatim by ssh.
    let out = sim.run_bin(&[
        "ssh-config",
        "--store",
        STORE,
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("--store={STORE}")),
        "{}",
        stdout(&out)
    );
    let config = sim.path("ssh_config");
    fs::write(&config, stdout(&out)).unwrap();
    let out = sim.ssh_config(&config, &web.id, &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(records(&sim, &web.id).len(), 1);

    // repair verifies db's stale entry from its console and publishes it.
    let stale = sim.host_keys()[&web.id][0].clone();
    fs::write(&kh, format!("{} {stale}\n", db.ip)).unwrap();
    let out = sim.run_bin(&[
        "repair",
        "--store",
        STORE,
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(keygen_find(&kh, &db.ip), sim.host_keys()[&db.id]);
    let published = records(&sim, &db.id);
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].source, "console");
}

#[test]
fn the_store_is_read_and_written_through_its_buckets_own_region() {
    let sim = Sim::start();
    // The team's bucket lives in eu-west-1; the instances and the profile in us-east-1.
    sim.create_bucket_in("team-hostkeys-eu", "eu-west-1");
    let store = "s3://team-hostkeys-eu/ssh";
    let web = sim.launch(Launch::named("web"));
    let out = sim.run_bin(&["sync", "--publish", "--store", store]);
    assert!(out.status.success(), "{}", stderr(&out));
    let objects = sim.objects_in("team-hostkeys-eu", "eu-west-1", "ssh/");
    assert_eq!(
        objects.iter().filter(|k| k.contains(&web.id)).count(),
        1,
        "{objects:?}"
    );

    // A colleague, the console's block gone: the record vouches, read in eu-west-1.
    sim.scroll_console(&web.id);
    let home = colleague(&sim);
    let kh = sim.path("kh-b");
    let proxy = format!(
        "{BIN} proxy --store {store} --known-hosts {} %h %p",
        kh.display()
    );
    let options = [format!("ProxyCommand={proxy}")];
    sim.reset_calls();
    let out = sim.ssh_opts(
        "web",
        &kh,
        &options,
        &[("HOME", &home)],
        &["echo", "ok"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the team store s3://team-hostkeys-eu/ssh"),
        "{}",
        stderr(&out)
    );
    let count = |calls: &[String], name: &str| calls.iter().filter(|c| *c == name).count();
    assert_eq!(count(&sim.calls(), "s3:HeadBucket"), 1, "{:?}", sim.calls());

    // The bucket's region is remembered: the next read asks only for the records.
    sim.reset_calls();
    let mut fetch = sim.bin();
    fetch
        .env("HOME", &home)
        .args(["fetch", "--source", "store", "--store", store, &web.id]);
    let out = run(fetch, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = sim.calls();
    assert_eq!(count(&calls, "s3:HeadBucket"), 0, "{calls:?}");
    assert_eq!(count(&calls, "s3:ListObjectsV2"), 1, "{calls:?}");
}
