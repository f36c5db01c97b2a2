//! `ec2-hostkey proxy` as ssh's ProxyCommand.

use std::fs;

use crate::support::*;

#[test]
fn connects_by_id_name_dns_and_ip_and_records_the_keys_sshd_presents() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("WebServer"));
    let presented = sim.keyscan(&web.ip);
    assert_eq!(
        presented.len(),
        3,
        "testbed sshd offers ed25519, ecdsa and rsa"
    );

    // ssh lowercases the host before expanding %h, so the Name tag arrives as "webserver".
    for host in [
        web.id.as_str(),
        "WebServer",
        web.dns.as_str(),
        web.ip.as_str(),
    ] {
        let kh = sim.path(&format!("known_hosts-{host}"));
        sim.ssh_ok(host, &kh);
        for name in [host.to_ascii_lowercase(), web.dns.clone(), web.ip.clone()] {
            assert_eq!(
                keygen_find(&kh, &name),
                presented,
                "entries for {name} after ssh {host}"
            );
        }
    }
}

#[test]
fn copies_50_mb_up_and_back_byte_identical() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("bulk"));
    let kh = sim.path("known_hosts");
    let data: Vec<u8> = (0..50_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let src = sim.path("upload.bin");
    fs::write(&src, &data).unwrap();
    // Both relays: splice (Linux's default) and the portable copy.
    for relay in ["splice", "copy"] {
        let proxy = format!(
            "{BIN} proxy --relay {relay} --known-hosts {} %h %p",
            kh.display()
        );
        let out = sim.ssh_with(&web.ip, &kh, &proxy, &["cat"], Some(&src));
        assert!(out.status.success(), "{relay}: {}", stderr(&out));
        assert!(
            out.stdout == data,
            "{relay}: 50 MB echoed through the proxy differ ({} bytes back)",
            out.stdout.len()
        );
    }
}

#[test]
fn refuses_a_server_whose_key_the_console_does_not_list() {
    let sim = Sim::start();
    let mitm = sim.launch(Launch::named("mitm").tag("sim:mitm", "true"));
    let kh = sim.path("known_hosts");
    let before = b"# my hosts\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy\n";
    fs::write(&kh, before).unwrap();

    for relay in ["splice", "copy"] {
        let out = sim.ssh(&mitm.ip, &kh, &format!("--relay {relay}"), &["echo", "ok"]);
        assert_refused_unwritten(&out, "HOST KEY MISMATCH", &kh, Some(before));
        assert!(
            stderr(&out).contains("man-in-the-middle"),
            "{relay}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn replaces_entries_left_by_a_recycled_address() {
    let sim = Sim::start();
    let old = sim.launch(Launch::named("old"));
    let kh = sim.path("known_hosts");
    let unrelated = "# kept\r\n|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny\n@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy\nnot a valid line\n";
    fs::write(&kh, unrelated).unwrap();
    sim.ssh_ok(&old.ip, &kh);
    let old_keys = sim.keyscan(&old.ip);
    assert_eq!(keygen_find(&kh, &old.ip), old_keys);

    sim.terminate(&old.id);
    let new = sim.launch(Launch::named("new").tag("sim:address", &old.ip));
    assert_eq!(new.ip, old.ip, "the testbed recycled the address");
    let new_keys = sim.keyscan(&new.ip);
    assert_ne!(new_keys, old_keys);

    // Plain ssh would now refuse: the stale entry is a "REMOTE HOST IDENTIFICATION HAS CHANGED".
    sim.ssh_ok(&new.ip, &kh);
    assert_eq!(keygen_find(&kh, &new.ip), new_keys);
    assert_eq!(keygen_find(&kh, &new.dns), new_keys);
    let text = fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with(unrelated),
        "unrelated lines keep their bytes:\n{text}"
    );
}

#[test]
fn console_not_yet_available_fails_clearly_then_waits() {
    let sim = Sim::start();
    let fresh = sim.launch(Launch::named("fresh").tag("sim:console-delay", "4"));
    let kh = sim.path("known_hosts");

    let out = sim.ssh(&fresh.ip, &kh, "--wait 0", &["echo", "ok"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("not available yet") && err.contains("--wait"),
        "{err}"
    );
    assert!(!kh.exists(), "nothing written without a verified key");

    let out = sim.ssh(&fresh.ip, &kh, "--wait 60s", &["echo", "ok"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "ok");
    assert!(
        stderr(&out).contains("waiting for the console output"),
        "progress is shown"
    );
    assert_eq!(keygen_find(&kh, &fresh.ip), sim.keyscan(&fresh.ip));
}

#[test]
fn console_wait_exit_code_is_4() {
    let sim = Sim::start();
    let fresh = sim.launch(Launch::named("fresh").tag("sim:console-delay", "600"));
    let out = run(
        {
            let mut c = sim.bin();
            c.args([
                "proxy",
                "--known-hosts",
                "kh",
                "--wait",
                "1s",
                fresh.id.as_str(),
                "22",
            ]);
            c
        },
        None,
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().filter(|l| l.contains("error")).count(),
        1
    );
}

#[test]
fn unknown_instance_or_name_fails_clearly_and_writes_nothing() {
    let sim = Sim::start();
    sim.launch(Launch::named("exists"));
    let kh = sim.path("known_hosts");
    for host in ["i-0123456789abcdef0", "nosuchhost", "203.0.113.9"] {
        let out = sim.ssh(host, &kh, "", &["echo", "ok"]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("ec2-hostkey: error: no instance found"),
            "{host}: {err}"
        );
        assert!(!kh.exists());
    }
    let out = run(
        {
            let mut c = sim.bin();
            c.args(["proxy", "--known-hosts", "kh", "nosuchhost", "22"]);
            c
        },
        None,
    );
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn terminated_instance_is_not_found() {
    let sim = Sim::start();
    let gone = sim.launch(Launch::named("gone"));
    sim.terminate(&gone.id);
    let out = sim.ssh(&gone.id, &sim.path("kh"), "", &["true"]);
    assert!(
        stderr(&out).contains("no instance found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stopped_instance_says_so() {
    let sim = Sim::start();
    let idle = sim.launch(Launch::named("idle"));
    sim.stop(&idle.id);
    let out = sim.ssh("idle", &sim.path("kh"), "", &["true"]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("instance {} is stopped", idle.id))
            && err.contains("start-instances"),
        "{err}"
    );
}

#[test]
fn non_standard_port_uses_bracketed_names() {
    let sim = Sim::start_with(2222);
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    sim.ssh_ok("web", &kh);
    let keys = sim.keyscan(&web.ip);
    for host in ["web", web.dns.as_str(), web.ip.as_str()] {
        assert_eq!(keygen_find(&kh, &sim.name(host)), keys, "[{host}]:2222");
        assert!(
            keygen_find(&kh, host).is_empty(),
            "no port-22 entry for {host}"
        );
    }
}

#[test]
fn hashed_file_gets_hashed_entries() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("known_hosts");
    let hashed = "|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny\n";
    fs::write(&kh, hashed).unwrap();
    sim.ssh_ok(&web.ip, &kh);
    let text = fs::read_to_string(&kh).unwrap();
    assert!(
        !text.contains(&web.ip) && !text.contains(&web.dns),
        "names must not appear in clear:\n{text}"
    );
    assert_eq!(keygen_find(&kh, &web.ip), sim.keyscan(&web.ip));
    // A second connection changes nothing.
    sim.ssh_ok(&web.ip, &kh);
    assert_eq!(fs::read_to_string(&kh).unwrap(), text);
}

#[test]
fn symlinked_known_hosts_is_updated_at_its_target() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let real = sim.path("real_known_hosts");
    fs::write(&real, "# mine\n").unwrap();
    let link = sim.path("known_hosts");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    sim.ssh_ok(&web.ip, &link);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(keygen_find(&real, &web.ip), sim.keyscan(&web.ip));
}
