//! `forget`, `repair`, and known_hosts safety under concurrency and a full disk.

use std::fs;
use std::process::Command;

use crate::support::*;

fn direct_ssh_ok(sim: &Sim, ip: &str, kh: &std::path::Path) -> bool {
    // Plain ssh, no helper: known_hosts alone must now be right.
    let out = sim.ssh_opts(ip, kh, &[], &[], &["echo", "ok"], None);
    out.status.success() && stdout(&out).trim() == "ok"
}

#[test]
fn repair_fixes_exactly_the_stale_entries_after_recycling() {
    let sim = Sim::start();
    let a = sim.launch(Launch::named("a"));
    let b = sim.launch(Launch::named("b"));
    let gone = sim.launch(Launch::named("gone"));
    let kh = sim.path("known_hosts");
    // A hashed file (Debian's default) with entries for every instance, plus a foreign host.
    fs::write(&kh, "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny\ngithub.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n").unwrap();
    for inst in [&a, &b, &gone] {
        let out = sim.run_bin(&[
            "fetch",
            "--write",
            "--hash",
            "--known-hosts",
            kh.to_str().unwrap(),
            &inst.id,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // a's address is recycled onto a new instance; gone's instance is terminated for good.
    sim.terminate(&a.id);
    let a2 = sim.launch(Launch::named("a2").tag("sim:address", &a.ip));
    sim.terminate(&gone.id);
    assert!(
        !direct_ssh_ok(&sim, &a2.ip, &kh),
        "stale entry makes plain ssh refuse"
    );
    let b_lines_before = keygen_find(&kh, &b.ip);

    let out = sim.run_bin(&[
        "repair",
        "--dry-run",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let before = fs::read(&kh).unwrap();
    assert!(!report["changed"].as_bool().unwrap());
    // a's id, ip and dns entries: a's id still names the (terminated) a, whose hashed
    // entries become orphans; a2 now holds the ip and dns (3 keys each): 6 stale.
    // b's id, ip and dns: 9 fine. gone's names: orphaned.
    assert_eq!(report["stale"], 6, "{report:#}");
    assert_eq!(report["fine"].as_u64().unwrap(), 9, "{report:#}");
    assert!(report["orphaned"].as_u64().unwrap() >= 3, "{report:#}");
    assert_eq!(fs::read(&kh).unwrap(), before, "--dry-run changes nothing");

    let out = sim.run_bin(&["repair", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("6 stale"), "{}", stdout(&out));
    assert_eq!(keygen_find(&kh, &a2.ip), sim.keyscan(&a2.ip));
    assert_eq!(keygen_find(&kh, &a2.dns), sim.keyscan(&a2.ip));
    assert_eq!(
        keygen_find(&kh, &b.ip),
        b_lines_before,
        "fine entries untouched"
    );
    assert!(
        !keygen_find(&kh, &gone.dns).is_empty(),
        "orphans stay without --prune"
    );
    let text = fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with("|1|F1E1KeoE/"),
        "unrelated lines keep their place"
    );
    assert!(text.contains("github.com ssh-ed25519"));
    assert!(!text.contains(&a2.ip), "the hashed file stays hashed");
    for inst in [&a2, &b] {
        assert!(
            direct_ssh_ok(&sim, &inst.ip, &kh),
            "plain ssh to {} after repair",
            inst.ip
        );
    }

    let out = sim.run_bin(&["repair", "--prune", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        keygen_find(&kh, &gone.dns).is_empty(),
        "--prune removes orphans"
    );
    assert!(
        fs::read_to_string(&kh)
            .unwrap()
            .contains("github.com ssh-ed25519")
    );
    let out = sim.run_bin(&["repair", "--known-hosts", kh.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("0 stale, 0 orphaned"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn forget_removes_every_name_of_an_instance_and_nothing_else() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let other = sim.launch(Launch::named("other"));
    let kh = sim.path("known_hosts");
    fs::write(&kh, "# mine\n@cert-authority *.compute-1.amazonaws.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n").unwrap();
    sim.ssh_ok("web", &kh);
    sim.ssh_ok(&web.id, &kh);
    sim.ssh_ok("other", &kh);
    let other_keys = keygen_find(&kh, &other.ip);

    let out = sim.run_bin(&[
        "forget",
        "--dry-run",
        "--known-hosts",
        kh.to_str().unwrap(),
        "web",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("would remove 12 line(s)"),
        "{}",
        stdout(&out)
    );
    let out = sim.run_bin(&[
        "forget",
        "--dry-run",
        "--json",
        "--known-hosts",
        kh.to_str().unwrap(),
        "web",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["instance"], web.id.as_str());
    assert_eq!(
        report["removed"].as_array().unwrap().len(),
        12,
        "{report:#}"
    );
    assert_eq!(report["dry_run"], true);
    let out = sim.run_bin(&["forget", "--known-hosts", kh.to_str().unwrap(), "web"]);
    assert!(
        stdout(&out).contains("removed 12 line(s)"),
        "{}",
        stdout(&out)
    );
    for name in ["web", web.id.as_str(), web.dns.as_str(), web.ip.as_str()] {
        let found: Vec<String> = keygen_find(&kh, name)
            .into_iter()
            .filter(|l| !l.contains("AAAAIOMqq"))
            .collect();
        assert!(found.is_empty(), "{name} still has {found:?}");
    }
    assert_eq!(keygen_find(&kh, &other.ip), other_keys);
    assert!(
        fs::read_to_string(&kh)
            .unwrap()
            .starts_with("# mine\n@cert-authority")
    );
}

#[test]
fn fifty_concurrent_writers_lose_and_duplicate_nothing() {
    let sim = Sim::start();
    let instances: Vec<Launched> = (0..50)
        .map(|i| {
            sim.launch(
                Launch::named(&format!("n{i}"))
                    .tag("sim:key-types", "ed25519")
                    .tag("sim:sshd", "off"),
            )
        })
        .collect();
    let kh = sim.path("known_hosts");
    fs::write(&kh, "# header kept\n").unwrap();
    let children: Vec<_> = instances
        .iter()
        .map(|inst| {
            let mut cmd = sim.bin();
            cmd.args(["fetch", "--write", "--known-hosts"])
                .arg(&kh)
                .arg(&inst.id);
            cmd.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = fs::read_to_string(&kh).unwrap();
    assert!(text.starts_with("# header kept\n"));
    assert_eq!(
        text.lines().count(),
        1 + 50 * 3,
        "3 names x 1 key per instance, once each"
    );
    for inst in &instances {
        for name in [&inst.id, &inst.ip, &inst.dns] {
            assert_eq!(keygen_find(&kh, name).len(), 1, "{name}");
        }
    }
    let leftovers: Vec<_> = fs::read_dir(sim.tmp.path())
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.starts_with(".known_hosts.").then_some(n)
        })
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// A tmpfs mounted for one test and unmounted after it.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(path: std::path::PathBuf, size: &str) -> Tmpfs {
        fs::create_dir_all(&path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        Tmpfs(path)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_leaves_known_hosts_byte_identical() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let disk = Tmpfs::mount(sim.path("disk"), "64k");
    let kh = disk.0.join("known_hosts");
    let original: String = (0..400).map(|i| format!("host{i} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")).collect();
    fs::write(&kh, &original).unwrap();
    // Fill what is left so the rewritten file cannot fit.
    let _ = fs::write(disk.0.join("filler"), vec![0u8; 64 * 1024]);

    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot write known_hosts file") && err.contains("left unchanged"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert_eq!(
        fs::read_to_string(&kh).unwrap(),
        original,
        "byte-identical after ENOSPC"
    );
    let names: Vec<_> = fs::read_dir(&disk.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temp file left behind: {names:?}");

    let out = sim.ssh(&web.ip, &kh, "", &["true"]);
    assert!(!out.status.success());
    assert_eq!(fs::read_to_string(&kh).unwrap(), original);
}

#[test]
fn missing_known_hosts_directory_is_a_clear_error() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("no/such/dir/known_hosts");
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "ec2-hostkey: error: the directory {} of the known_hosts file does not exist; create it or pass another --known-hosts",
            sim.path("no/such/dir").display()
        )
    );
    assert!(!sim.path("no").exists());
}

/// 100 real ssh connections at once through the proxy to 4 instances, one
/// known_hosts and one cache; a reader polls the file the whole time.
#[test]
fn a_hundred_simultaneous_ssh_connections_share_one_file_safely() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let sim = Arc::new(Sim::start());
    let instances: Vec<Launched> = (0..4)
        .map(|i| sim.launch(Launch::named(&format!("c{i}")).tag("sim:key-types", "ed25519,ecdsa")))
        .collect();
    let kh = sim.path("known_hosts");
    fs::write(&kh, "# header\n").unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (kh, done) = (kh.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let bytes = fs::read(&kh).unwrap();
                let text = String::from_utf8(bytes).expect("valid UTF-8 at every instant");
                assert!(text.ends_with('\n'), "a partial file was visible:\n{text}");
                for line in text.lines().skip(1) {
                    assert!(
                        line.split_whitespace().count() >= 3,
                        "partial line {line:?}"
                    );
                }
                reads += 1;
                // About a thousand reads a second, leaving the core to the
                // hundred connections it watches.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            reads
        })
    };
    let clients: Vec<_> = (0..100)
        .map(|i| {
            let (sim, kh) = (sim.clone(), kh.clone());
            std::thread::spawn(move || {
                let host = format!("c{}", i % 4);
                let out = sim.ssh(&host, &kh, "", &["echo", "ok"]);
                (host, out)
            })
        })
        .collect();
    for client in clients {
        let (host, out) = client.join().unwrap();
        assert!(out.status.success(), "ssh {host}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "ok");
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 10, "the reader polled throughout");

    for (i, inst) in instances.iter().enumerate() {
        let keys = sim.keyscan(&inst.ip);
        for name in [format!("c{i}"), inst.ip.clone(), inst.dns.clone()] {
            assert_eq!(
                keygen_find(&kh, &name),
                keys,
                "{name}: each key exactly once"
            );
        }
    }
    assert_eq!(
        fs::read_to_string(&kh).unwrap().lines().count(),
        1 + 4 * 3 * 2
    );
}

#[test]
fn read_only_filesystem_leaves_known_hosts_untouched() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let disk = Tmpfs::mount(sim.path("ro"), "1m");
    let kh = disk.0.join("known_hosts");
    fs::write(&kh, "# mine\n").unwrap();
    let status = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.0)
        .status()
        .unwrap();
    assert!(status.success());
    let out = sim.fetch_write(&kh, &web.id);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&kh).unwrap(), "# mine\n");
}

#[test]
fn ownership_and_mode_of_known_hosts_are_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    fs::write(&kh, "# someone else's\n").unwrap();
    chown(&kh, Some(4321), Some(4321)).unwrap();
    fs::set_permissions(&kh, fs::Permissions::from_mode(0o640)).unwrap();
    let out = sim.fetch_write(&kh, &web.id);
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = fs::metadata(&kh).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4321, 4321), "owner kept");
    assert_eq!(meta.mode() & 0o777, 0o640, "mode kept");
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
}

#[test]
fn a_group_writable_seed_store_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start();
    let store = sim.home().join(".local/share/ec2-hostkey/seeds");
    fs::create_dir_all(&store).unwrap();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o775)).unwrap();
    let ud = sim.path("ud");
    let out = sim.run_bin(&["seed", "--output", ud.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("group- or world-writable") && stderr(&out).contains("chmod 700"),
        "{}",
        stderr(&out)
    );
    assert!(
        !ud.exists(),
        "no private key written when the store is refused"
    );
}
