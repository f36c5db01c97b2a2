//! known_hosts files: parsing, matching, editing and safe rewriting.
//!
//! The file is the user's data. A parsed file keeps every line's exact bytes
//! and its line ending, so rendering an unedited file gives back the original
//! byte for byte. Matching follows OpenSSH (`hostfile.c`, `match.c`): comma
//! lists, `!` negation, `*`/`?` wildcards, `[host]:port`, and hashed
//! `|1|salt|hmac` entries (HMAC-SHA1 of the host name keyed by the salt).
//! Writes happen under an exclusive lock, through a temp file in the same
//! directory that is fsynced and renamed over the original.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use ssh_key::PublicKey;

pub use crate::error::KnownHostsError as Error;

/// How an entry's host field matched a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostMatch {
    No,
    /// A `!pattern` matched: this line never applies to the name.
    Negated,
    /// A hashed `|1|…` entry whose HMAC equals the name's.
    Hashed,
    /// A plain pattern without wildcards equal to the name.
    Literal,
    /// A `*`/`?` pattern matched.
    Wildcard,
}

impl HostMatch {
    pub fn is_match(self) -> bool {
        !matches!(self, HostMatch::No | HostMatch::Negated)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    CertAuthority,
    Revoked,
}

/// A host-key line.
#[derive(Debug, Clone)]
pub struct Entry {
    pub marker: Option<Marker>,
    pub hosts: String,
    pub key: KeyText,
    /// Everything after the key (OpenSSH ignores it; we mark our lines there).
    pub comment: String,
}

/// The word ec2-hostkey puts after the key of every line it writes:
/// `ec2-hostkey:<instance-id>`. Only the user and the tool write known_hosts,
/// so a marked line is one the tool may change again (SECURITY.md, trust rule 3).
pub const MARK_PREFIX: &str = "ec2-hostkey:";

/// The mark for lines recording `instance`'s keys.
pub fn mark(instance: &str) -> String {
    format!("{MARK_PREFIX}{instance}")
}

/// A key as a known_hosts line spells it: `algorithm base64`. Kept as text so
/// reading a large file parses no keys; compared by their canonical base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyText {
    pub algorithm: String,
    pub data: String,
}

impl KeyText {
    pub fn of(key: &PublicKey) -> KeyText {
        let line = key_line(key);
        let (algorithm, data) = line.split_once(' ').unwrap_or((&line, ""));
        KeyText {
            algorithm: algorithm.to_string(),
            data: data.to_string(),
        }
    }
}

impl std::fmt::Display for KeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.algorithm, self.data)
    }
}

impl Entry {
    pub fn is_hashed(&self) -> bool {
        self.hosts.starts_with("|1|")
    }

    /// Matches `name` (already in `host` or `[host]:port` form) as OpenSSH does.
    pub fn match_host(&self, name: &str) -> HostMatch {
        match_host_field(&self.hosts, name)
    }

    /// The instance id of the tool's mark, when the tool wrote this line.
    pub fn marked_instance(&self) -> Option<&str> {
        self.comment
            .split_whitespace()
            .filter_map(|w| w.strip_prefix(MARK_PREFIX))
            .find(|id| crate::aws::shapes::is_instance_id(id))
    }

    /// Whether `name` is this line's literally or through its hash (not a wildcard).
    pub fn names_exactly(&self, name: &str) -> bool {
        matches!(
            self.match_host(name),
            HostMatch::Literal | HostMatch::Hashed
        )
    }
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// Blank or `#` comment.
    Blank,
    Entry(Entry),
    /// Not a line OpenSSH would use; kept untouched, with the reason.
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Lf,
    CrLf,
    /// The last line of a file without a final newline.
    None,
}

impl Ending {
    fn bytes(self) -> &'static [u8] {
        match self {
            Ending::Lf => b"\n",
            Ending::CrLf => b"\r\n",
            Ending::None => b"",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    /// The line's bytes without its ending.
    pub raw: Vec<u8>,
    pub ending: Ending,
    pub kind: Kind,
    /// 1-based line number in the file as read (0 for added lines).
    pub number: usize,
}

impl Line {
    /// This plain line without the host names `drop`, for the hosts that
    /// remain; `None` when none remain (or the line is hashed: one host).
    pub fn without_hosts(&self, drop: &[&String]) -> Option<Line> {
        let Kind::Entry(entry) = &self.kind else {
            return None;
        };
        if entry.is_hashed() {
            return None;
        }
        let kept: Vec<&str> = entry
            .hosts
            .split(',')
            .filter(|p| !drop.iter().any(|d| p.eq_ignore_ascii_case(d)))
            .collect();
        if kept.iter().all(|p| p.is_empty() || p.starts_with('!')) {
            return None;
        }
        let text = String::from_utf8_lossy(&self.raw);
        let at = text.find(entry.hosts.as_str())?;
        let raw = format!(
            "{}{}{}",
            &text[..at],
            kept.join(","),
            &text[at + entry.hosts.len()..]
        );
        Some(Line {
            kind: parse_line(raw.as_bytes()),
            raw: raw.into_bytes(),
            ending: self.ending,
            number: self.number,
        })
    }
}

/// What [`KnownHosts::record`] did.
#[derive(Debug, Default)]
pub struct Recorded {
    pub changed: bool,
    /// Names left out: the user's own entries for them hold other keys.
    pub foreign: Vec<String>,
    /// Keys left out (their SHA256 fingerprints): the file revokes them.
    pub revoked: Vec<String>,
}

impl Recorded {
    /// One message per name left out of `names`, recorded for `instance` in
    /// `path`: why, and what the user can do.
    pub fn notes(&self, instance: &str, path: &Path, names: &[String]) -> Vec<String> {
        let other = names
            .iter()
            .find(|n| !self.foreign.contains(n))
            .map_or("the instance id", String::as_str);
        let revoked = self.revoked.iter().map(|fingerprint| {
            format!(
                "not recording {instance}'s key {fingerprint}: {} revokes it (@revoked)",
                path.display()
            )
        });
        self.foreign
            .iter()
            .map(|name| {
                format!(
                    "not recording {name} for {instance}: {} has an entry for it that ec2-hostkey did not write, with another key, so ssh will refuse it; if that entry is stale, remove it (ssh-keygen -R '{name}'), or connect by {other}",
                    path.display()
                )
            })
            .chain(revoked)
            .collect()
    }
}

/// A parsed known_hosts file.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    pub lines: Vec<Line>,
}

/// The name OpenSSH looks a host up under: `host` on port 22, `[host]:port` otherwise.
pub fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

impl KnownHosts {
    pub fn parse(bytes: &[u8]) -> KnownHosts {
        let mut lines = Vec::new();
        let mut rest = bytes;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let (content, ending, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) if i > 0 && rest[i - 1] == b'\r' => {
                    (&rest[..i - 1], Ending::CrLf, &rest[i + 1..])
                }
                Some(i) => (&rest[..i], Ending::Lf, &rest[i + 1..]),
                None => (rest, Ending::None, &rest[rest.len()..]),
            };
            lines.push(Line {
                raw: content.to_vec(),
                ending,
                kind: parse_line(content),
                number,
            });
            rest = next;
        }
        KnownHosts { lines }
    }

    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for line in &self.lines {
            out.extend_from_slice(&line.raw);
            out.extend_from_slice(line.ending.bytes());
        }
        out
    }

    pub fn entries(&self) -> impl Iterator<Item = (&Line, &Entry)> {
        self.lines.iter().filter_map(|l| match &l.kind {
            Kind::Entry(e) => Some((l, e)),
            _ => None,
        })
    }

    /// Lines `ssh-keygen -F name` prints: entries (markers included) matching `name`.
    pub fn find(&self, name: &str) -> Vec<&Line> {
        self.entries()
            .filter(|(_, e)| e.match_host(name).is_match())
            .map(|(l, _)| l)
            .collect()
    }

    /// Lines OpenSSH would not use, with their line number and why; kept untouched.
    pub fn invalid_lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.lines.iter().filter_map(|l| match &l.kind {
            Kind::Invalid(reason) => Some((l.number, reason.as_str())),
            _ => None,
        })
    }

    /// Removes the lines `ssh-keygen -R name` removes: unmarked entries
    /// matching `name` (a line naming several hosts goes whole). With
    /// `keep_wildcards`, lines that match only through a wildcard pattern
    /// stay: those are the user's own policy, not a record of one host.
    /// Returns the removed lines.
    pub fn remove(&mut self, name: &str, keep_wildcards: bool) -> Vec<Line> {
        self.remove_any(&[name], keep_wildcards)
    }

    /// [`KnownHosts::remove`] for several names in one pass over the file.
    pub fn remove_any<S: AsRef<str>>(&mut self, names: &[S], keep_wildcards: bool) -> Vec<Line> {
        let (removed, kept) = std::mem::take(&mut self.lines)
            .into_iter()
            .partition(|line| {
                let Kind::Entry(entry) = &line.kind else {
                    return false;
                };
                if entry.marker.is_some() {
                    return false; // @cert-authority and @revoked lines are never removed
                }
                names
                    .iter()
                    .any(|name| match entry.match_host(name.as_ref()) {
                        HostMatch::Wildcard => !keep_wildcards,
                        m => m.is_match(),
                    })
            });
        self.lines = kept;
        removed
    }

    /// Whether the file's own entries for `name` (literal or hashed, not the
    /// user's wildcard patterns) hold exactly `keys`.
    pub fn has_exactly(&self, name: &str, keys: &[PublicKey]) -> bool {
        let keys: Vec<KeyText> = keys.iter().map(KeyText::of).collect();
        let present: Vec<&KeyText> = self
            .entries()
            .filter(|(_, e)| {
                e.marker.is_none()
                    && matches!(e.match_host(name), HostMatch::Literal | HostMatch::Hashed)
            })
            .map(|(_, e)| &e.key)
            .collect();
        keys.iter().all(|k| present.contains(&k)) && present.iter().all(|p| keys.contains(p))
    }

    /// Records `keys` as the entries for each of `names`, changing only what
    /// the tool may change (SECURITY.md, trust rule 3): its own marked lines,
    /// and lines for names `owns` accepts (AWS-assigned public names). Those
    /// are removed as `ssh-keygen -R` would — except that other hosts sharing
    /// a line keep it, with the line's key — and one marked line per name and
    /// key is appended. A name that has entries the tool did not write and
    /// may not take over is left alone and reported in [`Recorded::foreign`]
    /// when those entries hold none of `keys` (ssh will refuse it).
    /// Hashes when asked, when the removed lines were hashed, or when the
    /// file is mostly hashed.
    pub fn record(
        &mut self,
        names: &[String],
        keys: &[PublicKey],
        hash: impl FnOnce() -> bool,
        mark: &str,
        owns: impl Fn(&str) -> bool,
    ) -> Recorded {
        let (revoked, kept): (Vec<&PublicKey>, Vec<&PublicKey>) =
            keys.iter().partition(|k| self.revokes(k).is_some());
        let keys: Vec<PublicKey> = kept.into_iter().cloned().collect();
        let keys = keys.as_slice();
        let foreign = self.refused(names, keys, &owns);
        let ours: Vec<String> = names
            .iter()
            .filter(|n| owns(n) || !self.has_foreign(n))
            .cloned()
            .collect();
        let mut recorded = Recorded {
            changed: false,
            foreign,
            revoked: revoked
                .iter()
                .map(|k| k.fingerprint(ssh_key::HashAlg::Sha256).to_string())
                .collect(),
        };
        if keys.is_empty() || ours.iter().all(|n| self.has_exactly(n, keys)) {
            return recorded;
        }
        let mut hashed = self.mostly_hashed() || hash();
        let removed = self.take(&ours, &owns);
        hashed |= removed
            .iter()
            .any(|l| matches!(&l.kind, Kind::Entry(e) if e.is_hashed()));
        for name in &ours {
            for key in keys {
                self.add(name, key, hashed, Some(mark));
            }
        }
        recorded.changed = true;
        recorded
    }

    /// The number of an `@revoked` line listing `key`, whatever its host
    /// patterns: a key the user revoked is never recorded nor vouched for.
    pub fn revokes(&self, key: &PublicKey) -> Option<usize> {
        let key = KeyText::of(key);
        self.entries()
            .find(|(_, e)| e.marker == Some(Marker::Revoked) && e.key == key)
            .map(|(line, _)| line.number)
    }

    /// Whether any line the tool did not write applies to `name`: literal,
    /// hashed, a wildcard pattern, or an `@cert-authority`/`@revoked` line.
    pub fn claims(&self, name: &str) -> bool {
        self.entries()
            .any(|(_, e)| e.marked_instance().is_none() && e.match_host(name).is_match())
    }

    /// Whether `name` has an entry (literal or hashed, no marker) the tool did not write.
    pub fn has_foreign(&self, name: &str) -> bool {
        self.foreign_entries(name).next().is_some()
    }

    /// Those of `names` the tool may not take over (`owns` says no) whose
    /// entries, written by the user, hold none of `keys`: ssh, which takes
    /// any matching line, will refuse them, and the tool leaves them alone.
    pub fn refused(
        &self,
        names: &[String],
        keys: &[PublicKey],
        owns: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        names
            .iter()
            .filter(|n| !owns(n) && self.foreign_refuses(n, keys))
            .cloned()
            .collect()
    }

    /// Whether `name` has entries the tool did not write and they hold none of `keys`.
    pub fn foreign_refuses(&self, name: &str, keys: &[PublicKey]) -> bool {
        let keys: Vec<KeyText> = keys.iter().map(KeyText::of).collect();
        let mut foreign = self.foreign_entries(name).peekable();
        foreign.peek().is_some() && !foreign.any(|e| keys.contains(&e.key))
    }

    /// The user's own entries for `name`: literal or hashed, no `@` marker, no mark of ours.
    fn foreign_entries<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries().map(|(_, e)| e).filter(move |e| {
            e.marker.is_none() && e.marked_instance().is_none() && e.names_exactly(name)
        })
    }

    /// Removes the tool's entries for `names`: its marked lines, and the
    /// unmarked lines of names `owns` accepts. A plain line that also names
    /// other hosts stays for them (minus the names taken). Wildcard lines and
    /// `@` markers are never touched. Returns the lines removed or rewritten.
    pub fn take(&mut self, names: &[String], owns: impl Fn(&str) -> bool) -> Vec<Line> {
        let mut taken = Vec::new();
        let lines = std::mem::take(&mut self.lines);
        for line in lines {
            let Kind::Entry(entry) = &line.kind else {
                self.lines.push(line);
                continue;
            };
            let ours = entry.marked_instance().is_some();
            let drop: Vec<&String> = names
                .iter()
                .filter(|n| entry.marker.is_none() && entry.names_exactly(n))
                .filter(|n| ours || owns(n))
                .collect();
            if drop.is_empty() {
                self.lines.push(line);
                continue;
            }
            if let Some(rest) = line.without_hosts(&drop) {
                self.lines.push(rest);
            }
            taken.push(line);
        }
        taken
    }

    /// Appends `@revoked * KEY` unless the key is revoked already; whether
    /// it was appended. ssh refuses a revoked key for every host, plain or
    /// inside a certificate.
    pub fn revoke(&mut self, key: &PublicKey, comment: &str) -> bool {
        if self.revokes(key).is_some() {
            return false;
        }
        self.push_entry("*", &KeyText::of(key).to_string(), false, Some(comment));
        let last = self.lines.last_mut().expect("just pushed");
        let text = [b"@revoked ".as_slice(), &last.raw].concat();
        last.kind = parse_line(&text);
        last.raw = text;
        true
    }

    /// The keys of the lines the tool wrote for `instance` (its mark).
    pub fn keys_marked(&self, instance: &str) -> Vec<PublicKey> {
        let mut keys: Vec<PublicKey> = Vec::new();
        for (_, entry) in self.entries() {
            if entry.marker.is_none() && entry.marked_instance() == Some(instance) {
                let text = format!("{} {}", entry.key.algorithm, entry.key.data);
                if let Ok(key) = PublicKey::from_openssh(&text)
                    && !keys.iter().any(|k| k.key_data() == key.key_data())
                {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// Appends an entry for `name`, hashed when asked, in the file's line-ending style.
    pub fn add(&mut self, name: &str, key: &PublicKey, hashed: bool, comment: Option<&str>) {
        self.push_entry(name, &KeyText::of(key).to_string(), hashed, comment);
    }

    fn push_entry(&mut self, name: &str, key: &str, hashed: bool, comment: Option<&str>) {
        let ending = self.dominant_ending();
        if let Some(last) = self.lines.last_mut()
            && last.ending == Ending::None
        {
            last.ending = ending;
        }
        let hosts = if hashed {
            hash_name(name)
        } else {
            name.to_string()
        };
        let mut text = format!("{hosts} {key}");
        if let Some(comment) = comment {
            text.push(' ');
            text.push_str(comment);
        }
        self.lines.push(Line {
            kind: parse_line(text.as_bytes()),
            raw: text.into_bytes(),
            ending,
            number: 0,
        });
    }

    /// Whether most host entries are hashed (Debian's `HashKnownHosts yes` leaves such files).
    pub fn mostly_hashed(&self) -> bool {
        let (hashed, total) = self
            .entries()
            .filter(|(_, e)| e.marker.is_none())
            .fold((0, 0), |(h, t), (_, e)| {
                (h + usize::from(e.is_hashed()), t + 1)
            });
        total > 0 && hashed * 2 > total
    }

    fn dominant_ending(&self) -> Ending {
        let crlf = self
            .lines
            .iter()
            .filter(|l| l.ending == Ending::CrLf)
            .count();
        let lf = self.lines.iter().filter(|l| l.ending == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }
}

/// `algorithm base64` for a key, without its comment.
pub fn key_line(key: &PublicKey) -> String {
    let mut key = key.clone();
    key.set_comment("");
    key.to_openssh().unwrap_or_default().trim().to_string()
}

fn parse_line(content: &[u8]) -> Kind {
    let Ok(text) = std::str::from_utf8(content) else {
        return Kind::Invalid("not valid UTF-8".into());
    };
    let text = text.trim_start_matches([' ', '\t']);
    if text.is_empty() || text.starts_with('#') {
        return Kind::Blank;
    }
    let mut rest = text;
    let marker = if rest.starts_with('@') {
        let (word, after) = split_word(rest);
        rest = after;
        match word {
            "@cert-authority" => Some(Marker::CertAuthority),
            "@revoked" => Some(Marker::Revoked),
            other => return Kind::Invalid(format!("unknown marker {other}")),
        }
    } else {
        None
    };
    let (hosts, key_text) = split_word(rest);
    if key_text.is_empty() {
        return Kind::Invalid("no key after the host names".into());
    }
    let (algorithm, rest) = split_word(key_text);
    let (data, comment) = split_word(rest);
    let looks_like_base64 = !data.is_empty()
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if algorithm.is_empty() || !looks_like_base64 || algorithm.bytes().all(|b| b.is_ascii_digit()) {
        // Digits first would be an SSH-1 RSA key (`bits e n`), which OpenSSH no longer reads.
        return Kind::Invalid("no `algorithm base64` key after the host names".into());
    }
    Kind::Entry(Entry {
        marker,
        hosts: hosts.to_string(),
        key: KeyText {
            algorithm: algorithm.to_string(),
            data: data.to_string(),
        },
        comment: comment.to_string(),
    })
}

fn split_word(text: &str) -> (&str, &str) {
    match text.find([' ', '\t']) {
        Some(i) => (&text[..i], text[i..].trim_start_matches([' ', '\t'])),
        None => (text, ""),
    }
}

fn match_host_field(field: &str, name: &str) -> HostMatch {
    if let Some(hashed) = field.strip_prefix("|1|") {
        return if hashed_matches(hashed, name) {
            HostMatch::Hashed
        } else {
            HostMatch::No
        };
    }
    let name = name.to_ascii_lowercase();
    let mut result = HostMatch::No;
    for pattern in field.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        let pattern = pattern.to_ascii_lowercase();
        if !wildcard_match(pattern.as_bytes(), name.as_bytes()) {
            continue;
        }
        if negated {
            return HostMatch::Negated;
        }
        let this = if pattern.contains(['*', '?']) {
            HostMatch::Wildcard
        } else {
            HostMatch::Literal
        };
        if result != HostMatch::Literal {
            result = this;
        }
    }
    result
}

fn hashed_matches(field: &str, name: &str) -> bool {
    let Some((salt, hash)) = field.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// `|1|salt|hmac` for `name`, as `ssh-keygen -H` writes it.
pub fn hash_name(name: &str) -> String {
    let mut salt = [0u8; 20];
    ssh_key::rand_core::RngCore::fill_bytes(&mut ssh_key::rand_core::OsRng, &mut salt);
    let mut mac = Hmac::<Sha1>::new_from_slice(&salt).expect("HMAC takes any key length");
    mac.update(name.as_bytes());
    format!(
        "|1|{}|{}",
        B64.encode(salt),
        B64.encode(mac.finalize().into_bytes())
    )
}

/// OpenSSH `match_pattern`: `*` any run, `?` one character, everything else literal.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The known_hosts file a command writes, and whether new entries are hashed.
#[derive(Debug, Clone)]
pub struct KnownHostsFile {
    pub path: PathBuf,
    always_hash: bool,
}

impl KnownHostsFile {
    pub fn new(path: PathBuf, always_hash: bool) -> KnownHostsFile {
        KnownHostsFile { path, always_hash }
    }

    /// Whether new entries for `host` are hashed even if the file's own
    /// habit would not say so (`store::known_hosts` also hashes when the file
    /// is mostly hashed or the replaced entries were): `--hash`, or ssh's
    /// `HashKnownHosts` for that host.
    pub fn hash_for(&self, host: &str) -> bool {
        self.always_hash || crate::net::openssh::hashes_known_hosts(host)
    }

    /// `--hash` alone (commands that edit lines of many hosts at once).
    pub fn always_hash(&self) -> bool {
        self.always_hash
    }
}

/// Reads, edits and atomically rewrites a known_hosts file under a lock.
///
/// `edit` returns whether it changed anything; an unchanged file is not
/// rewritten. A missing file reads as empty and is created 0600.
///
/// # Errors
/// Reading, locking or writing failed; the original file is untouched.
pub fn update<T>(path: &Path, edit: impl FnOnce(&mut KnownHosts) -> (bool, T)) -> Result<T, Error> {
    let target = resolve_symlink(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let lock = lock_dir(dir)?;
    let original = match fs::read(&target) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(Error::Read {
                path: target,
                error,
            });
        }
    };
    let mut file = KnownHosts::parse(original.as_deref().unwrap_or_default());
    let (changed, result) = edit(&mut file);
    if changed {
        write_atomically(&target, &file.render()).map_err(|error| Error::Write {
            path: target.clone(),
            error,
        })?;
    }
    drop(lock);
    Ok(result)
}

/// Reads a known_hosts file without locking; a missing file reads as empty.
pub fn read(path: &Path) -> Result<KnownHosts, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(KnownHosts::parse(&bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(KnownHosts::default()),
        Err(error) => Err(Error::Read {
            path: path.to_path_buf(),
            error,
        }),
    }
}

/// Follows symlinks so the link's target is updated, not replaced by a file.
fn resolve_symlink(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::read_link(&current) {
            Ok(next) => {
                current = match current.parent() {
                    Some(parent) if next.is_relative() => parent.join(next),
                    _ => next,
                };
            }
            Err(_) => break,
        }
    }
    current
}

/// An exclusive lock on the file's directory. Locking the file itself would
/// not work: each writer renames a new inode over it.
fn lock_dir(dir: &Path) -> Result<File, Error> {
    if !dir.exists() {
        return Err(Error::MissingDir {
            path: dir.to_path_buf(),
        });
    }
    let lock_err = |error| Error::Lock {
        path: dir.to_path_buf(),
        error,
    };
    let handle = File::open(dir).map_err(lock_err)?;
    handle.lock().map_err(lock_err)?;
    Ok(handle)
}

fn write_atomically(target: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = fs::metadata(target).ok();
    let mut temp = tempfile::Builder::new()
        .prefix(".known_hosts.")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    if let Some(meta) = &existing {
        let file = temp.as_file();
        file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        if rustix::process::geteuid().is_root() {
            let owner = rustix::fs::Uid::from_raw(meta.uid());
            let group = rustix::fs::Gid::from_raw(meta.gid());
            rustix::fs::fchown(file, Some(owner), Some(group))?;
        }
    }
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|e| e.error)?;
    // The rename is durable only once the directory entry is.
    if let Ok(d) = OpenOptions::new().read(true).custom_flags(0).open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy";
    const ED2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    #[test]
    fn render_is_identity_on_gnarly_input() {
        let mut bytes = format!(
            "# comment\r\n\n   {ED}\nhost,1.2.3.4 {ED} c\n@cert-authority *.x {ED}\n|1|abc|def {ED}\n"
        )
        .into_bytes();
        bytes.extend_from_slice(b"\xff bad\n");
        bytes.extend_from_slice(format!("garbage line\r\n[h]:2222 {ED2}").as_bytes());
        assert_eq!(KnownHosts::parse(&bytes).render(), bytes);
    }

    #[test]
    fn patterns_match_as_openssh_does() {
        assert_eq!(match_host_field("a,b,c", "b"), HostMatch::Literal);
        assert_eq!(
            match_host_field("*.example.com", "x.example.com"),
            HostMatch::Wildcard
        );
        assert_eq!(
            match_host_field("*.example.com,!bad.example.com", "bad.example.com"),
            HostMatch::Negated
        );
        assert_eq!(match_host_field("host?", "host1"), HostMatch::Wildcard);
        assert_eq!(match_host_field("host?", "host12"), HostMatch::No);
        assert_eq!(match_host_field("[h]:2222", "[h]:2222"), HostMatch::Literal);
        assert_eq!(match_host_field("[h]:2222", "h"), HostMatch::No);
        assert_eq!(match_host_field("WEB", "web"), HostMatch::Literal);
    }

    #[test]
    fn hashed_entry_matches_its_name_only() {
        let field = hash_name("10.0.0.1");
        assert_eq!(match_host_field(&field, "10.0.0.1"), HostMatch::Hashed);
        assert_eq!(match_host_field(&field, "10.0.0.2"), HostMatch::No);
    }

    #[test]
    fn remove_matches_ssh_keygen_r() {
        let text = format!("a,b {ED}\n@revoked a {ED2}\n*.x {ED}\n[a]:2222 {ED}\nother {ED}\n");
        let mut file = KnownHosts::parse(text.as_bytes());
        assert_eq!(file.remove("a", false).len(), 1);
        assert_eq!(
            String::from_utf8(file.render()).unwrap(),
            format!("@revoked a {ED2}\n*.x {ED}\n[a]:2222 {ED}\nother {ED}\n")
        );
        assert_eq!(file.remove("y.x", true).len(), 0);
        assert_eq!(file.remove("y.x", false).len(), 1);
    }

    #[test]
    fn add_terminates_a_last_line_without_newline_in_the_file_style() {
        let mut file = KnownHosts::parse(format!("a {ED}\r\nb {ED}").as_bytes());
        file.add("c", &key(ED2), false, None);
        assert_eq!(
            String::from_utf8(file.render()).unwrap(),
            format!("a {ED}\r\nb {ED}\r\nc {ED2}\r\n")
        );
    }

    #[test]
    fn added_hashed_line_is_found() {
        let mut file = KnownHosts::default();
        file.add("[h]:2222", &key(ED), true, Some("ignored"));
        assert!(file.has_exactly("[h]:2222", &[key(ED)]));
        assert!(file.has_exactly("h", &[]));
        assert!(file.has_exactly("[h]:2222", &[key(ED)]));
        assert!(!file.has_exactly("[h]:2222", &[key(ED), key(ED2)]));
    }

    #[test]
    fn lookup_name_uses_brackets_off_port_22() {
        assert_eq!(lookup_name("Web", 22), "web");
        assert_eq!(lookup_name("web", 2222), "[web]:2222");
    }

    #[test]
    fn wildcard_edge_cases() {
        assert!(wildcard_match(b"*", b""));
        assert!(wildcard_match(b"a*b*c", b"aXXbYc"));
        assert!(!wildcard_match(b"a*b", b"ac"));
        assert!(wildcard_match(b"**", b"abc"));
    }

    /// A small deterministic generator, so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    const NAMES: [&str; 8] = [
        "web",
        "ec2-3-4-5-6.compute-1.amazonaws.com",
        "10.0.0.1",
        "[10.0.0.1]:2222",
        "bad.example.com",
        "x.example.com",
        "db1",
        "ip-10-0-0-1.ec2.internal",
    ];
    const PATTERNS: [&str; 6] = [
        "*.example.com",
        "!bad.example.com",
        "db?",
        "WEB",
        "10.0.0.*",
        "*",
    ];
    const KEYS: [&str; 3] = [
        ED,
        ED2,
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAOE1cBsaCJt1j9F/76tuF5JznTQkJ0mJmoDcxIeJkU13Qpi3w0c+LFvTPS7EikWPmNY1ZcekekSPJfwERsUtKI=",
    ];

    /// A file with every valid form ssh-keygen accepts: lists, patterns,
    /// negations, brackets, hashed names, markers, comments, blanks, indentation.
    fn gnarly_file(seed: u64, lines: usize) -> String {
        let mut rng = Rng(seed);
        let mut out = String::new();
        for _ in 0..lines {
            let key = KEYS[rng.next(KEYS.len())];
            match rng.next(10) {
                0 => out.push_str("# a comment\n"),
                1 => out.push('\n'),
                2 => out.push_str(&format!(
                    "{} {key}\n",
                    hash_name(NAMES[rng.next(NAMES.len())])
                )),
                3 => out.push_str(&format!(
                    "@cert-authority {} {key}\n",
                    PATTERNS[rng.next(2)]
                )),
                4 => out.push_str(&format!(
                    "@revoked {} {key}\n",
                    NAMES[rng.next(NAMES.len())]
                )),
                _ => {
                    let count = 1 + rng.next(3);
                    let hosts: Vec<&str> = (0..count)
                        .map(|_| {
                            if rng.next(3) == 0 {
                                PATTERNS[rng.next(PATTERNS.len())]
                            } else {
                                NAMES[rng.next(NAMES.len())]
                            }
                        })
                        .collect();
                    let indent = if rng.next(5) == 0 { "  " } else { "" };
                    let comment = if rng.next(2) == 0 {
                        " some comment"
                    } else {
                        ""
                    };
                    out.push_str(&format!("{indent}{} {key}{comment}\n", hosts.join(",")));
                }
            }
        }
        out
    }

    fn keygen(args: &[&str], file: &Path) -> String {
        let out = std::process::Command::new("ssh-keygen")
            .args(args)
            .arg("-f")
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn lookups_equal_ssh_keygen_f() {
        let dir = tempfile::tempdir().unwrap();
        let mut found = 0;
        for seed in 1..=8u64 {
            let text = gnarly_file(seed * 7919, 60);
            let path = dir.path().join("kh");
            fs::write(&path, &text).unwrap();
            let file = KnownHosts::parse(text.as_bytes());
            for name in NAMES {
                let theirs: Vec<usize> = keygen(&["-F", name], &path)
                    .lines()
                    .filter_map(|l| {
                        l.strip_prefix("# Host ")?
                            .rsplit_once("line ")?
                            .1
                            .split_whitespace()
                            .next()?
                            .parse()
                            .ok()
                    })
                    .collect();
                let ours: Vec<usize> = file.find(name).iter().map(|l| l.number).collect();
                assert_eq!(ours, theirs, "seed {seed}, name {name}\n{text}");
                found += ours.len();
            }
        }
        assert!(
            found > 100,
            "the generated files must exercise matches ({found})"
        );
    }

    #[test]
    fn removals_equal_ssh_keygen_r() {
        let dir = tempfile::tempdir().unwrap();
        for seed in 1..=8u64 {
            let text = gnarly_file(seed * 104_729, 60);
            for name in NAMES {
                let path = dir.path().join("kh");
                fs::write(&path, &text).unwrap();
                keygen(&["-R", name], &path);
                let theirs = fs::read_to_string(&path).unwrap();
                let mut file = KnownHosts::parse(text.as_bytes());
                file.remove(name, false);
                let ours = String::from_utf8(file.render()).unwrap();
                assert_eq!(ours, theirs, "seed {seed}, name {name}\n{text}");
            }
        }
    }

    #[test]
    fn parse_render_is_identity_on_random_bytes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"ab,*?![]:|1 \t\r\n#@=+/AZaz09\xff\x00";
        for _ in 0..2000 {
            let len = rng.next(200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect();
            assert_eq!(KnownHosts::parse(&bytes).render(), bytes);
        }
        for seed in 1..50u64 {
            let text =
                gnarly_file(seed, 40).replace('\n', if seed % 2 == 0 { "\r\n" } else { "\n" });
            let trimmed = text.trim_end();
            assert_eq!(
                KnownHosts::parse(trimmed.as_bytes()).render(),
                trimmed.as_bytes()
            );
        }
    }
}
