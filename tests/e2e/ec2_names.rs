//! EC2's own names for an instance: its id (assigned by AWS, never reused)
//! is as much EC2's as its public DNS name and IP, so a stale line for it
//! that the tool did not write (an older version's, ssh's `accept-new`, one
//! typed by hand) is replaced with verified keys. Name tags and private
//! names stay selectors: their lines are the user's.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::*;

const STALE: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";

fn hash_file(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = fs::remove_file(path.with_extension("old"));
}

#[test]
fn a_stale_unmarked_line_for_the_instance_id_is_replaced_and_ssh_says_nothing() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    for hashed in [false, true] {
        let kh = sim.path(&format!("kh-{hashed}"));
        // As ssh's accept-new wrote it for an earlier key, with no mark of ours.
        fs::write(&kh, format!("{} {STALE}\n", sim.name(&web.id))).unwrap();
        if hashed {
            hash_file(&kh);
        }
        let out = sim.ssh(&web.id, &kh, "", &["echo", "ok"]);
        assert!(out.status.success(), "hashed {hashed}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("IDENTIFICATION HAS CHANGED"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            keygen_find(&kh, &sim.name(&web.id)),
            sim.keyscan(&web.ip),
            "hashed {hashed}"
        );
        let text = fs::read_to_string(&kh).unwrap();
        assert!(!text.contains(STALE.split(' ').nth(1).unwrap()), "{text}");
        if hashed {
            assert!(text.lines().all(|l| l.starts_with("|1|")), "{text}");
        }
    }
}

#[test]
fn repair_fixes_an_id_line_and_leaves_name_tag_and_private_lines_reported() {
    let sim = Sim::start();
    let web = sim.launch(Launch::named("web"));
    let kh = sim.path("kh");
    let lines = [
        format!("{} {STALE}", sim.name(&web.id)),
        format!("{} {STALE}", sim.name("web")),
        format!("{} {STALE}", sim.name(&web.private_ip)),
    ];
    fs::write(&kh, lines.join("\n") + "\n").unwrap();
    let out = sim.run_bin(&["repair", "--json", "--known-hosts", kh.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let status_of = |name: &str| {
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["names"].as_array().unwrap().iter().any(|n| n == name))
            .map(|e| e["status"].as_str().unwrap().to_string())
    };
    assert_eq!(
        status_of(&sim.name(&web.id)).as_deref(),
        Some("stale"),
        "{report}"
    );
    assert_eq!(report["changed"], true);
    let after = fs::read_to_string(&kh).unwrap();
    assert_eq!(keygen_find(&kh, &sim.name(&web.id)), sim.keyscan(&web.ip));
    // The Name tag's and the private address's lines are the user's: kept byte for byte.
    assert!(after.contains(&lines[1]), "{after}");
    assert!(after.contains(&lines[2]), "{after}");
    let text =
        stdout(&sim.run_bin(&["repair", "--dry-run", "--known-hosts", kh.to_str().unwrap()]));
    assert!(text.contains("not ours"), "{text}");
}
