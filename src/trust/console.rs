//! Parsing cloud-init's host-key blocks out of EC2 console output.
//!
//! Console text is untrusted input (SECURITY.md, trust rule 2): any process on
//! the instance can print lines on its console. The rules:
//!
//! 1. Terminal escapes and control bytes are removed before anything else
//!    looks at the text.
//! 2. The text is split into boots at kernel boot banners (a line containing
//!    `Linux version `). Text before the first banner is a boot of its own;
//!    without any banner the whole text is one boot. A block never spans a
//!    banner.
//! 3. A block is a BEGIN marker and an END marker of the same kind with no
//!    other block marker (of either kind) between them. Its lines are those
//!    that carry the BEGIN line's logger prefix (`ec2: `, `cloud-init: `, a
//!    syslog header, or none); lines of other writers interleaved with it
//!    (kernel, systemd) are skipped. Key and fingerprint lines outside blocks
//!    are never looked at.
//! 4. The newest boot that holds any block marker is the one used. Newer boots
//!    without markers are passed over: cloud-init prints the block once, at
//!    first boot, so after a reboot the block is in an older boot. If that
//!    boot holds no complete block, only a cut-off one (a BEGIN without its
//!    own END, an END without its BEGIN), the result is
//!    [`ConsoleError::Truncated`]: an older boot's block is never used in its
//!    place.
//! 5. Within that boot the first complete KEYS block and the first complete
//!    FINGERPRINTS block are cloud-init's. A later complete block of the same
//!    kind that lists the same keys (fingerprints) is harmless; one that lists
//!    others makes the console [`ConsoleError::Contradictory`].
//! 6. A cut-off BEGIN that comes after a complete block of its kind, or whose
//!    kind has no complete block in the boot, is ignored (a stray marker
//!    printed later must not destroy the real block), and so is an END without
//!    its BEGIN. A cut-off BEGIN followed later in the boot by a complete
//!    block of its kind is contradictory: that is how a block injected into
//!    the middle of cloud-init's would look.
//! 7. The KEYS and FINGERPRINTS blocks must agree, type by type (the label in
//!    parentheses on a fingerprint line, e.g. `(ED25519)`): each key whose
//!    type has fingerprints listed must match one of them (recomputed, SHA256
//!    or MD5), and each fingerprint whose type has keys listed must match one
//!    of them. Types present on one side only are not compared (cloud-init
//!    has separate blacklists for the two blocks).
//! 8. Every key line in a used block must parse (DSA is skipped, never
//!    trusted); fingerprints are kept only to be compared with ones we compute
//!    ourselves.

use std::ops::Range;

use ssh_key::{HashAlg, PublicKey};

const FP_BEGIN: &str = "-----BEGIN SSH HOST KEY FINGERPRINTS-----";
const FP_END: &str = "-----END SSH HOST KEY FINGERPRINTS-----";
const KEYS_BEGIN: &str = "-----BEGIN SSH HOST KEY KEYS-----";
const KEYS_END: &str = "-----END SSH HOST KEY KEYS-----";

/// What a kernel prints first on every boot.
const BOOT_BANNER: &str = "Linux version ";

/// How many following lines a wrapped key line may continue over.
const MAX_WRAP_LINES: usize = 16;

/// What a source vouches for: whole keys, or fingerprints of keys. The
/// console parser fills both; a seed, Systems Manager and the memo fill
/// only `keys`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Vouched {
    /// Whole keys (from the console: the first complete `SSH HOST KEY KEYS`
    /// block of the newest boot that has a block).
    pub keys: Vec<PublicKey>,
    /// Fingerprints (from the console: the first complete `SSH HOST KEY
    /// FINGERPRINTS` block of that same boot).
    pub fingerprints: Vec<ListedFingerprint>,
    /// The SHA-256 of the console block the keys were read from (its lines
    /// from BEGIN to END, as printed), for the team store's records.
    pub block_digest: Option<String>,
}

impl Vouched {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.fingerprints.is_empty()
    }

    /// Whether this vouches for `key`: it is in the KEYS block, or — without
    /// a KEYS block — its recomputed fingerprint is listed.
    pub fn vouches_for(&self, key: &PublicKey) -> bool {
        if self.keys.is_empty() {
            self.lists_fingerprint_of(key)
        } else {
            self.keys.iter().any(|k| k.key_data() == key.key_data())
        }
    }

    /// What this lists, for messages: the keys, or how many fingerprints.
    pub fn describe(&self) -> String {
        if self.keys.is_empty() {
            format!("{} fingerprint(s)", self.fingerprints.len())
        } else {
            self.keys
                .iter()
                .map(describe_key)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// Whether `key`'s recomputed fingerprint appears in the fingerprint block.
    pub fn lists_fingerprint_of(&self, key: &PublicKey) -> bool {
        self.fingerprints.iter().any(|listed| listed.matches(key))
    }
}

/// `SHA256:… (ED25519)` for messages.
pub fn describe_key(key: &PublicKey) -> String {
    format!(
        "{} ({})",
        key.fingerprint(HashAlg::Sha256),
        key.algorithm().as_str()
    )
}

/// A fingerprint line as printed by `ssh-keygen -l`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFingerprint {
    /// The key type label from the parentheses, upper-cased: `ED25519`,
    /// `ECDSA`, `RSA`, `ED25519-SK`, `ECDSA-SK`, …
    pub label: String,
    pub digest: Digest,
}

/// The digest of a [`ListedFingerprint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Sha256(Vec<u8>),
    Md5(Vec<u8>),
}

impl ListedFingerprint {
    /// Recomputes `key`'s fingerprint and compares; nothing from the console is copied.
    pub fn matches(&self, key: &PublicKey) -> bool {
        if type_label(key).is_some_and(|label| label != self.label) {
            return false;
        }
        match &self.digest {
            Digest::Sha256(digest) => {
                key.fingerprint(HashAlg::Sha256).as_bytes() == digest.as_slice()
            }
            Digest::Md5(digest) => {
                let blob = key.to_bytes().unwrap_or_default();
                md5_digest(&blob).as_slice() == digest.as_slice()
            }
        }
    }
}

pub use crate::error::ConsoleError;

fn contradictory(reason: impl Into<String>) -> ConsoleError {
    ConsoleError::Contradictory {
        reason: reason.into(),
    }
}

/// The two kinds of block cloud-init prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Keys,
    Fingerprints,
}

impl Kind {
    fn begin_marker(self) -> &'static str {
        match self {
            Kind::Keys => KEYS_BEGIN,
            Kind::Fingerprints => FP_BEGIN,
        }
    }

    /// For messages: "SSH host key" / "SSH host key fingerprint" (block).
    fn what(self) -> &'static str {
        match self {
            Kind::Keys => "SSH host key",
            Kind::Fingerprints => "SSH host key fingerprint",
        }
    }
}

/// A block marker on a console line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Begin(Kind),
    End(Kind),
    /// More than one marker on one line: pairs with nothing, and cuts off
    /// any block it falls inside.
    Garbled,
}

fn marker(line: &str) -> Option<Marker> {
    const MARKERS: [(&str, Marker); 4] = [
        (FP_BEGIN, Marker::Begin(Kind::Fingerprints)),
        (FP_END, Marker::End(Kind::Fingerprints)),
        (KEYS_BEGIN, Marker::Begin(Kind::Keys)),
        (KEYS_END, Marker::End(Kind::Keys)),
    ];
    let mut found = MARKERS
        .iter()
        .filter(|(text, _)| line.contains(*text))
        .map(|&(_, m)| m);
    let first = found.next()?;
    Some(if found.next().is_some() {
        Marker::Garbled
    } else {
        first
    })
}

/// The kernel's boot banner, as the kernel prints it: at the start of the
/// line, after an optional `[    0.000000] ` timestamp. A banner anywhere
/// else in a line (a program's log line quoting one, behind a logger
/// prefix) starts no boot.
fn is_boot_banner(line: &str) -> bool {
    let rest = match line.strip_prefix('[') {
        Some(stamped) => {
            let Some((stamp, rest)) = stamped.split_once(']') else {
                return false;
            };
            let stamp = stamp.trim_start();
            if stamp.is_empty() || !stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return false;
            }
            rest.strip_prefix(' ').unwrap_or(rest)
        }
        None => line,
    };
    rest.starts_with(BOOT_BANNER)
}

/// The line ranges of the boots in the console text, oldest first: text
/// before the first boot banner, then one range from each banner on.
fn boots(lines: &[&str]) -> Vec<Range<usize>> {
    let mut starts = vec![0];
    starts.extend(
        lines
            .iter()
            .enumerate()
            .filter(|&(i, line)| i > 0 && is_boot_banner(line))
            .map(|(i, _)| i),
    );
    let mut ends: Vec<usize> = starts[1..].to_vec();
    ends.push(lines.len());
    starts.into_iter().zip(ends).map(|(s, e)| s..e).collect()
}

/// A complete block: line indices of its BEGIN and its own END.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: Kind,
    begin: usize,
    end: usize,
}

/// The block markers of one boot, paired.
#[derive(Debug, Default)]
struct BootScan {
    /// Whether the boot holds any block marker at all.
    any_marker: bool,
    /// Complete blocks, in order.
    complete: Vec<Span>,
    /// BEGIN markers (kind, line index) with no END of their own.
    cut_begins: Vec<(Kind, usize)>,
}

impl BootScan {
    fn blocks(&self, kind: Kind) -> impl Iterator<Item = &Span> {
        self.complete.iter().filter(move |span| span.kind == kind)
    }
}

/// Pairs each END with its own BEGIN: the same kind, and no other marker
/// between them. Anything else is a cut-off block.
fn scan_boot(lines: &[&str], boot: Range<usize>) -> BootScan {
    let mut scan = BootScan::default();
    let mut open: Option<(Kind, usize)> = None;
    for i in boot {
        let Some(found) = lines.get(i).and_then(|line| marker(line)) else {
            continue;
        };
        scan.any_marker = true;
        match found {
            Marker::Begin(kind) => {
                if let Some(cut) = open.replace((kind, i)) {
                    scan.cut_begins.push(cut);
                }
            }
            Marker::End(kind) => match open.take() {
                Some((open_kind, begin)) if open_kind == kind => scan.complete.push(Span {
                    kind,
                    begin,
                    end: i,
                }),
                // An END of the other kind: neither has its partner.
                Some(cut) => scan.cut_begins.push(cut),
                // An END without a BEGIN.
                None => {}
            },
            Marker::Garbled => {
                if let Some(cut) = open.take() {
                    scan.cut_begins.push(cut);
                }
            }
        }
    }
    if let Some(cut) = open {
        scan.cut_begins.push(cut);
    }
    scan
}

struct Block<'a> {
    /// (1-based line number, content with the block's prefix removed)
    lines: Vec<(usize, &'a str)>,
}

/// `sha256:<hex>` of the block's lines, BEGIN to END.
fn span_digest(lines: &[&str], span: &Span) -> String {
    use sha2::{Digest, Sha256};
    let end = span.end.min(lines.len().saturating_sub(1));
    let text = lines.get(span.begin..=end).unwrap_or(&[]).join("\n");
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn block<'a>(lines: &[&'a str], span: &Span) -> Block<'a> {
    let begin_line = lines.get(span.begin).copied().unwrap_or("");
    let prefix = begin_line
        .find(span.kind.begin_marker())
        .map_or("", |at| &begin_line[..at]);
    let first = span.begin + 1;
    let body = lines
        .get(first..span.end)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            // Lines without the block's logger prefix were interleaved by
            // another writer (kernel, systemd): not part of the block.
            line.strip_prefix(prefix)
                .map(|rest| (first + i + 1, rest.trim()))
        })
        .filter(|(_, l)| !l.is_empty())
        .collect();
    Block { lines: body }
}

/// Whether cloud-init says it finished (`Cloud-init v. … finished at …`)
/// anywhere in the output. Only ever used to stop waiting for a block,
/// never to trust anything.
pub fn cloud_init_finished(raw: &[u8]) -> bool {
    crate::text::sanitize_lines(raw)
        .lines()
        .any(|l| l.contains("Cloud-init v. ") && l.contains(" finished at "))
}

/// Parses console output into the keys and fingerprints it vouches for.
///
/// # Errors
/// [`ConsoleError::Truncated`] when the newest boot with a block marker holds
/// only a cut-off block; [`ConsoleError::Contradictory`] when that boot's
/// blocks disagree with each other; [`ConsoleError::BadKey`] or
/// [`ConsoleError::BadFingerprint`] for a line inside one of that boot's
/// complete blocks that looks like a key or a fingerprint but does not parse.
pub fn parse(raw: &[u8]) -> Result<Vouched, ConsoleError> {
    let text = crate::text::sanitize_lines(raw);
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let Some(boot) = boots(&lines)
        .into_iter()
        .rev()
        .map(|range| scan_boot(&lines, range))
        .find(|scan| scan.any_marker)
    else {
        return Ok(Vouched::default());
    };
    if boot.complete.is_empty() {
        return Err(ConsoleError::Truncated);
    }
    for &(kind, at) in &boot.cut_begins {
        if boot
            .blocks(kind)
            .next()
            .is_some_and(|first| first.begin > at)
        {
            return Err(contradictory(format!(
                "an {} block is cut off by another block marker and a complete one follows it in the same boot",
                kind.what()
            )));
        }
    }

    let mut result = Vouched::default();
    let mut key_blocks = boot.blocks(Kind::Keys);
    if let Some(first) = key_blocks.next() {
        result.keys = parse_keys(&block(&lines, first))?;
        result.block_digest = Some(span_digest(&lines, first));
        for later in key_blocks {
            let other = parse_keys(&block(&lines, later))?;
            if !same_keys(&result.keys, &other) {
                return Err(contradictory(
                    "a second SSH host key block in the same boot lists other keys",
                ));
            }
        }
    }
    let mut fp_blocks = boot.blocks(Kind::Fingerprints);
    if let Some(first) = fp_blocks.next() {
        result.fingerprints = parse_fingerprints(&block(&lines, first))?;
        if result.block_digest.is_none() {
            result.block_digest = Some(span_digest(&lines, first));
        }
        for later in fp_blocks {
            let other = parse_fingerprints(&block(&lines, later))?;
            if !same_fingerprints(&result.fingerprints, &other) {
                return Err(contradictory(
                    "a second SSH host key fingerprint block in the same boot lists other fingerprints",
                ));
            }
        }
    }
    cross_check(&result.keys, &result.fingerprints)?;
    Ok(result)
}

/// Whether `a` and `b` hold the same keys, in any order.
pub fn same_keys(a: &[PublicKey], b: &[PublicKey]) -> bool {
    let within = |x: &[PublicKey], y: &[PublicKey]| {
        x.iter()
            .all(|k| y.iter().any(|o| o.key_data() == k.key_data()))
    };
    within(a, b) && within(b, a)
}

fn same_fingerprints(a: &[ListedFingerprint], b: &[ListedFingerprint]) -> bool {
    a.iter().all(|f| b.contains(f)) && b.iter().all(|f| a.contains(f))
}

/// The `ssh-keygen -l` type label of a key algorithm, as cloud-init prints it
/// in parentheses on a fingerprint line.
fn label_of_algorithm(algorithm: &str) -> Option<&'static str> {
    match algorithm {
        "ssh-ed25519" => Some("ED25519"),
        "ssh-rsa" => Some("RSA"),
        "ssh-dss" => Some("DSA"),
        "sk-ssh-ed25519@openssh.com" => Some("ED25519-SK"),
        a if a.starts_with("sk-ecdsa-") => Some("ECDSA-SK"),
        a if a.starts_with("ecdsa-sha2-") => Some("ECDSA"),
        _ => None,
    }
}

fn type_label(key: &PublicKey) -> Option<&'static str> {
    label_of_algorithm(key.algorithm().as_str())
}

/// The KEYS and FINGERPRINTS blocks of one boot must agree on every type
/// they both list.
fn cross_check(keys: &[PublicKey], fingerprints: &[ListedFingerprint]) -> Result<(), ConsoleError> {
    for key in keys {
        let Some(label) = type_label(key) else {
            continue;
        };
        // cloud-init lists every key it prints: a key the fingerprint block
        // does not list was not printed by cloud-init.
        let mut listed = fingerprints.iter().filter(|fp| fp.label == label);
        if !fingerprints.is_empty() && !listed.any(|fp| fp.matches(key)) {
            return Err(contradictory(format!(
                "the SSH host key block lists a key of type {label} ({}) that is not among the fingerprint block's {label} fingerprints",
                key.fingerprint(HashAlg::Sha256)
            )));
        }
    }
    for fp in fingerprints {
        let type_has_keys = keys
            .iter()
            .any(|key| type_label(key) == Some(fp.label.as_str()));
        if type_has_keys && !keys.iter().any(|key| fp.matches(key)) {
            return Err(contradictory(format!(
                "the fingerprint block lists a fingerprint of type {} that matches none of the SSH host key block's keys",
                fp.label
            )));
        }
    }
    Ok(())
}

fn is_key_algorithm(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-")
        || word.starts_with("rsa-sha2-")
}

fn parse_keys(block: &Block<'_>) -> Result<Vec<PublicKey>, ConsoleError> {
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut i = 0;
    while i < block.lines.len() {
        let (number, line) = block.lines[i];
        i += 1;
        let algorithm = line.split_whitespace().next().unwrap_or("");
        if !is_key_algorithm(algorithm) {
            continue; // interleaved noise
        }
        if algorithm == "ssh-dss" || algorithm.starts_with("sk-") {
            // DSA is obsolete and disabled in OpenSSH; a security-key type
            // cannot be a host key: never trusted.
            continue;
        }
        let (key, used) =
            parse_key_line(line, &block.lines[i..]).map_err(|reason| ConsoleError::BadKey {
                line: number,
                reason,
            })?;
        i += used;
        if keys.iter().any(|k| k.key_data() == key.key_data()) {
            continue;
        }
        if keys
            .iter()
            .any(|k| type_label(k).is_some() && type_label(k) == type_label(&key))
        {
            // A host has one key per type; a second one was not cloud-init's.
            return Err(contradictory(format!(
                "the SSH host key block lists two {} keys",
                type_label(&key).unwrap_or_default()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// Parses a key line, joining continuation lines when the console wrapped it.
/// Returns the key and how many following lines it consumed.
fn parse_key_line(line: &str, following: &[(usize, &str)]) -> Result<(PublicKey, usize), String> {
    let first_error = match PublicKey::from_openssh(line) {
        Ok(key) => return Ok((key, 0)),
        Err(e) => e.to_string(),
    };
    let mut joined = line.to_string();
    for (used, (_, next)) in following.iter().take(MAX_WRAP_LINES).enumerate() {
        let word = next.split_whitespace().next().unwrap_or("");
        if is_key_algorithm(word) || next.contains(' ') && !joined.contains(' ') {
            break;
        }
        joined.push_str(next);
        if let Ok(key) = PublicKey::from_openssh(&joined) {
            return Ok((key, used + 1));
        }
    }
    Err(first_error)
}

fn parse_fingerprints(block: &Block<'_>) -> Result<Vec<ListedFingerprint>, ConsoleError> {
    let mut out = Vec::new();
    for &(number, line) in &block.lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let label = words
            .last()
            .and_then(|w| w.strip_prefix('('))
            .and_then(|w| w.strip_suffix(')'));
        let looks_like_fp = words.len() >= 3 && words[0].parse::<u32>().is_ok();
        let (true, Some(label)) = (looks_like_fp, label) else {
            if words.first().is_some_and(|w| w.parse::<u32>().is_ok()) {
                return Err(ConsoleError::BadFingerprint { line: number });
            }
            continue; // separator lines (#####) and noise
        };
        let label = label.to_ascii_uppercase();
        if label == "DSA" {
            continue;
        }
        let digest = parse_digest(words[1]).ok_or(ConsoleError::BadFingerprint { line: number })?;
        out.push(ListedFingerprint { label, digest });
    }
    Ok(out)
}

fn parse_digest(word: &str) -> Option<Digest> {
    use base64::Engine;
    if let Some(b64) = word.strip_prefix("SHA256:") {
        let digest = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .ok()?;
        return (digest.len() == 32).then_some(Digest::Sha256(digest));
    }
    let hex = word.strip_prefix("MD5:").unwrap_or(word);
    let bytes: Option<Vec<u8>> = hex
        .split(':')
        .map(|pair| {
            (pair.len() == 2)
                .then(|| u8::from_str_radix(pair, 16).ok())
                .flatten()
        })
        .collect();
    bytes.filter(|b| b.len() == 16).map(Digest::Md5)
}

fn md5_digest(data: &[u8]) -> [u8; 16] {
    <md5::Md5 as md5::Digest>::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy root@ip-1";
    const EC: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAOE1cBsaCJt1j9F/76tuF5JznTQkJ0mJmoDcxIeJkU13Qpi3w0c+LFvTPS7EikWPmNY1ZcekekSPJfwERsUtKI= root@ip-1";
    const OTHER_ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny other";
    const BANNER: &str =
        "[    0.000000] Linux version 6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org)\n";
    const PREFIXES: [&str; 4] = [
        "",
        "ec2: ",
        "cloud-init: ",
        "<14>Apr 22 19:51:35 cloud-init: ",
    ];

    fn key(line: &str) -> PublicKey {
        PublicKey::from_openssh(line).unwrap()
    }

    fn label(line: &str) -> &'static str {
        type_label(&key(line)).unwrap()
    }

    fn fp_line(prefix: &str, line: &str, label: &str) -> String {
        let k = key(line);
        format!(
            "{prefix}256 {} root@ip-1 ({label})",
            k.fingerprint(HashAlg::Sha256)
        )
    }

    /// A FINGERPRINTS block with `prefix` on every line.
    fn fp_block(prefix: &str, keys: &[&str]) -> String {
        let mut out = format!("{prefix}{FP_BEGIN}\n");
        for k in keys {
            out += &fp_line(prefix, k, label(k));
            out.push('\n');
        }
        out + &format!("{prefix}{FP_END}\n")
    }

    /// A KEYS block, unprefixed as cloud-init prints it.
    fn keys_block(keys: &[&str]) -> String {
        let mut out = format!("{KEYS_BEGIN}\n");
        for k in keys {
            out += k;
            out.push('\n');
        }
        out + &format!("{KEYS_END}\n")
    }

    /// One boot as cloud-init prints it: fingerprints of `fps`, then `keys`.
    fn console_split(prefix: &str, fps: &[&str], keys: &[&str]) -> String {
        let mut out = String::from("[    0.000000] Linux version 6.1\n");
        out += &format!("{prefix}\n{prefix}{}\n", "#".repeat(61));
        out += &fp_block(prefix, fps);
        out += &format!("{prefix}{}\n", "#".repeat(61));
        out += &keys_block(keys);
        out += "[   41.3] cloud-init[1]: finished\n";
        out
    }

    fn console(prefix: &str, keys: &[&str]) -> String {
        console_split(prefix, keys, keys)
    }

    fn is_contradictory(result: &Result<Vouched, ConsoleError>) -> bool {
        matches!(result, Err(ConsoleError::Contradictory { .. }))
    }

    #[test]
    fn keys_and_fingerprints_with_ec2_prefix() {
        let got = parse(console("ec2: ", &[EC, ED]).as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(EC), key(ED)]);
        assert_eq!(got.fingerprints.len(), 2);
        assert_eq!(got.fingerprints[0].label, "ECDSA");
        assert_eq!(got.fingerprints[1].label, "ED25519");
        assert!(got.lists_fingerprint_of(&key(ED)));
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn every_logger_prefix_form() {
        for prefix in PREFIXES {
            let got = parse(console(prefix, &[ED]).as_bytes()).unwrap();
            assert_eq!(got.keys, vec![key(ED)], "prefix {prefix:?}");
            assert!(got.lists_fingerprint_of(&key(ED)), "prefix {prefix:?}");
        }
    }

    #[test]
    fn every_logger_prefix_form_with_reboots_and_contradictions() {
        for prefix in PREFIXES {
            // Older boot's block, newer boot's block, then a reboot printing none.
            let text = console(prefix, &[OTHER_ED]) + &console(prefix, &[EC, ED]) + BANNER;
            let got = parse(text.as_bytes()).unwrap();
            assert_eq!(got.keys, vec![key(EC), key(ED)], "prefix {prefix:?}");
            assert!(got.lists_fingerprint_of(&key(EC)), "prefix {prefix:?}");
            assert!(
                !got.lists_fingerprint_of(&key(OTHER_ED)),
                "prefix {prefix:?}"
            );

            let text = console(prefix, &[ED]) + &fp_block(prefix, &[OTHER_ED]);
            assert!(
                is_contradictory(&parse(text.as_bytes())),
                "prefix {prefix:?}"
            );

            let text = console_split(prefix, &[OTHER_ED], &[ED]);
            assert!(
                is_contradictory(&parse(text.as_bytes())),
                "prefix {prefix:?}"
            );

            let text = console(prefix, &[ED]) + BANNER + &format!("{prefix}{FP_BEGIN}\n");
            assert_eq!(
                parse(text.as_bytes()),
                Err(ConsoleError::Truncated),
                "prefix {prefix:?}"
            );
        }
    }

    #[test]
    fn crlf_and_trailing_space() {
        let text = console("ec2: ", &[ED])
            .replace(ED, &format!("{ED} "))
            .replace('\n', "\r\n");
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert_eq!(got.fingerprints.len(), 1);
    }

    #[test]
    fn latest_boot_wins() {
        let text = console("ec2: ", &[OTHER_ED]) + &console("ec2: ", &[ED]);
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn latest_of_several_boots_with_blocks_wins() {
        let text =
            console("ec2: ", &[OTHER_ED]) + &console("ec2: ", &[EC]) + &console("ec2: ", &[ED]);
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(got.lists_fingerprint_of(&key(ED)));
        assert!(!got.lists_fingerprint_of(&key(EC)));
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn reboot_without_a_block_keeps_the_older_boots_block() {
        let text = console("ec2: ", &[ED])
            + BANNER
            + "[    1.204331] EXT4-fs (nvme0n1p1): mounted filesystem\n"
            + BANNER
            + "[   12.7] cloud-init[512]: Cloud-init v. 23.1.2 running 'init'\n";
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(got.lists_fingerprint_of(&key(ED)));
    }

    /// Unchanged in meaning: a stray BEGIN after the complete block, in the
    /// same boot, does not destroy it.
    #[test]
    fn truncated_latest_block_is_ignored() {
        let text = console("", &[ED]) + &format!("{KEYS_BEGIN}\n{OTHER_ED}\n");
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
    }

    #[test]
    fn stray_begins_after_the_complete_blocks_are_ignored() {
        let text = console("ec2: ", &[ED])
            + &format!(
                "ec2: {FP_BEGIN}\n{}\n",
                fp_line("ec2: ", OTHER_ED, "ED25519")
            )
            + &format!("{KEYS_BEGIN}\n{KEYS_BEGIN}\n{OTHER_ED}\n");
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(got.lists_fingerprint_of(&key(ED)));
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    /// Changed by the boot rules: an END with no BEGIN, in the only boot with
    /// a marker, used to be ignored (nothing vouched for); it is now reported
    /// as a truncated block.
    #[test]
    fn block_missing_its_begin_is_truncated() {
        let text = format!("{OTHER_ED}\n{KEYS_END}\n");
        assert_eq!(parse(text.as_bytes()), Err(ConsoleError::Truncated));
    }

    #[test]
    fn newest_boot_truncated_does_not_fall_back_to_an_older_block() {
        for tail in [
            format!("{KEYS_BEGIN}\n{OTHER_ED}\n"),
            format!("{OTHER_ED}\n{KEYS_END}\n"),
            format!(
                "ec2: {FP_BEGIN}\n{}\n",
                fp_line("ec2: ", OTHER_ED, "ED25519")
            ),
            format!("{KEYS_BEGIN}\n{OTHER_ED}\n{FP_END}\n"),
            format!("{KEYS_BEGIN}{KEYS_END}\n"),
        ] {
            let text = console("ec2: ", &[ED]) + BANNER + &tail;
            let err = parse(text.as_bytes()).unwrap_err();
            assert_eq!(err, ConsoleError::Truncated, "{tail:?}");
            let msg = err.to_string();
            assert!(
                msg.contains("incomplete") && msg.contains("--wait"),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_banner_printed_by_a_program_starts_no_boot() {
        // A program logs a fake banner, then a block of its own: still the
        // same boot as cloud-init's block, so the console contradicts itself.
        for fake in [
            "app: [    0.000000] Linux version 6.1\n",
            "<14>Apr 22 19:51:35 app: Linux version 6.1\n",
            "[ 12.5] systemd[1]: Linux version 6.1\n",
        ] {
            let text = console("ec2: ", &[ED])
                + fake
                + &console_split("", &[OTHER_ED], &[OTHER_ED])
                    .replace("[    0.000000] Linux version 6.1\n", "");
            assert!(is_contradictory(&parse(text.as_bytes())), "{fake:?}");
        }
        assert!(is_boot_banner("[    0.000000] Linux version 6.1"));
        assert!(is_boot_banner("Linux version 6.1"));
    }

    #[test]
    fn a_block_never_spans_a_boot_banner() {
        let text = format!("{KEYS_BEGIN}\n{BANNER}{ED}\n{KEYS_END}\n");
        assert_eq!(parse(text.as_bytes()), Err(ConsoleError::Truncated));
    }

    #[test]
    fn a_begin_cut_off_by_another_begin_without_a_complete_block_is_truncated() {
        let text = format!("{BANNER}{KEYS_BEGIN}\n{ED}\n{KEYS_BEGIN}\n{OTHER_ED}\n");
        assert_eq!(parse(text.as_bytes()), Err(ConsoleError::Truncated));
    }

    /// A block injected into the middle of cloud-init's: the real BEGIN loses
    /// its END, and the injected block would be the first complete one.
    #[test]
    fn a_begin_cut_off_before_a_complete_block_of_its_kind_is_contradictory() {
        let text = format!(
            "{BANNER}{KEYS_BEGIN}\n{ED}\n{KEYS_BEGIN}\n{OTHER_ED}\n{KEYS_END}\n{EC}\n{KEYS_END}\n"
        );
        assert!(is_contradictory(&parse(text.as_bytes())));
    }

    #[test]
    fn a_stray_end_after_the_real_end_merges_nothing() {
        let text = console("", &[ED]) + &format!("{OTHER_ED}\n{KEYS_END}\n");
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        // Also between the two blocks, inside the fingerprint block's reach.
        let text = console("ec2: ", &[ED]).replace(
            &format!("ec2: {FP_END}\n"),
            &format!(
                "ec2: {FP_END}\n{}\nec2: {FP_END}\n",
                fp_line("ec2: ", OTHER_ED, "ED25519")
            ),
        );
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn a_later_block_with_other_keys_in_the_same_boot_is_contradictory() {
        let text = console("ec2: ", &[ED]) + &keys_block(&[OTHER_ED]);
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ConsoleError::Contradictory { reason } if reason.contains("second SSH host key block")),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("self-contradictory") && msg.contains("attack") && msg.contains("nothing"),
            "{msg}"
        );
        // More keys than the first block is "other keys" too.
        let text = console("ec2: ", &[ED]) + &keys_block(&[ED, EC]);
        assert!(is_contradictory(&parse(text.as_bytes())));
        // A complete block printed before cloud-init's makes cloud-init's the
        // contradicting one.
        let text = console("", &[ED]).replacen('\n', &format!("\n{}", keys_block(&[OTHER_ED])), 1);
        assert!(is_contradictory(&parse(text.as_bytes())));
    }

    #[test]
    fn a_later_identical_block_in_the_same_boot_is_fine() {
        let text = console("ec2: ", &[EC, ED])
            + &keys_block(&[ED, EC])
            + &fp_block("cloud-init: ", &[ED, EC])
            + &keys_block(&[EC, ED]);
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(EC), key(ED)]);
        assert_eq!(got.fingerprints.len(), 2);
    }

    #[test]
    fn a_later_fingerprints_only_block_listing_another_key_is_contradictory() {
        let text = console("ec2: ", &[ED]) + &fp_block("ec2: ", &[OTHER_ED]);
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ConsoleError::Contradictory { reason } if reason.contains("fingerprint block")),
            "{err:?}"
        );
        let text = console("ec2: ", &[ED]) + &fp_block("ec2: ", &[ED, EC]);
        assert!(is_contradictory(&parse(text.as_bytes())));
    }

    #[test]
    fn a_corrupt_line_in_a_later_block_is_an_error_naming_the_line() {
        let text = console("", &[ED])
            + &format!("{KEYS_BEGIN}\nssh-ed25519 AAAAnotbase64!! root\n{KEYS_END}\n");
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ConsoleError::BadKey { line: 13, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn keys_and_fingerprints_that_disagree_are_contradictory() {
        // The listed ED25519 fingerprint is another key's.
        let text = console_split("ec2: ", &[OTHER_ED], &[ED]);
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ConsoleError::Contradictory { reason } if reason.contains("ED25519")),
            "{err:?}"
        );
        // An extra ED25519 fingerprint that matches no listed key.
        let text = console_split("ec2: ", &[ED, OTHER_ED], &[ED]);
        assert!(is_contradictory(&parse(text.as_bytes())));
        // An extra ED25519 key whose fingerprint is not listed.
        let text = console_split("ec2: ", &[EC, ED], &[EC, ED, OTHER_ED]);
        assert!(is_contradictory(&parse(text.as_bytes())));
        // The label is what counts: a mislabelled fingerprint is a type of its own.
        let text = console_split("", &[ED], &[ED]).replace("(ED25519)", "(ECDSA)");
        let text = text.replace(&format!("{ED}\n"), &format!("{ED}\n{EC}\n"));
        assert!(is_contradictory(&parse(text.as_bytes())));
    }

    #[test]
    fn types_on_one_side_only_are_not_compared() {
        // cloud-init lists every key it prints: a key without a listed
        // fingerprint was not printed by cloud-init.
        let got = parse(console_split("ec2: ", &[ED], &[EC, ED]).as_bytes());
        assert!(is_contradictory(&got));
        let got = parse(console_split("ec2: ", &[EC, ED], &[ED]).as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(got.lists_fingerprint_of(&key(EC)));
        let got = parse(console_split("ec2: ", &[EC], &[ED]).as_bytes());
        assert!(is_contradictory(&got));
    }

    #[test]
    fn type_labels_follow_ssh_keygen() {
        assert_eq!(label(ED), "ED25519");
        assert_eq!(label(EC), "ECDSA");
        for (algorithm, expected) in [
            ("ssh-ed25519", Some("ED25519")),
            ("ecdsa-sha2-nistp256", Some("ECDSA")),
            ("ecdsa-sha2-nistp384", Some("ECDSA")),
            ("ecdsa-sha2-nistp521", Some("ECDSA")),
            ("ssh-rsa", Some("RSA")),
            ("ssh-dss", Some("DSA")),
            ("sk-ssh-ed25519@openssh.com", Some("ED25519-SK")),
            ("sk-ecdsa-sha2-nistp256@openssh.com", Some("ECDSA-SK")),
            ("something-else", None),
        ] {
            assert_eq!(label_of_algorithm(algorithm), expected, "{algorithm}");
        }
    }

    #[test]
    fn key_lines_outside_blocks_are_never_trusted() {
        let text = format!("{OTHER_ED}\n{}{OTHER_ED}\n", console("ec2: ", &[ED]));
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
    }

    /// Changed by the boot rules: the newer fingerprint block now needs a boot
    /// banner before it to supersede the older boot's keys (the old rule "a
    /// FINGERPRINTS block after the KEYS block supersedes it" is gone; in the
    /// same boot it would be a contradicting second fingerprint block).
    #[test]
    fn keys_from_an_older_boot_are_superseded_by_newer_fingerprints() {
        let newer_fp_only = format!(
            "{BANNER}ec2: {FP_BEGIN}\n{}\nec2: {FP_END}\n",
            fp_line("ec2: ", ED, "ED25519")
        );
        let text = console("ec2: ", &[OTHER_ED]) + &newer_fp_only;
        let got = parse(text.as_bytes()).unwrap();
        assert!(got.keys.is_empty());
        assert!(got.lists_fingerprint_of(&key(ED)));
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn interleaved_kernel_lines_are_skipped() {
        let text = console("ec2: ", &[EC, ED]).replace(
            &format!("{ED}\n"),
            &format!("[   39.1] systemd[1]: Started something.\n{ED}\n"),
        );
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(EC), key(ED)]);
    }

    #[test]
    fn wrapped_key_line_is_joined() {
        let (head, tail) = EC.split_at(80);
        let text = console("", &[EC]).replace(EC, &format!("{head}\n{tail}"));
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(EC)]);
    }

    #[test]
    fn escapes_are_stripped_before_parsing() {
        let text =
            console("", &[ED]).replace(ED, &format!("\x1b[0;32m{ED}\x1b[0m\x1b]0;title\x07"));
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert!(!crate::text::sanitize_lines(text.as_bytes()).contains('\x1b'));
    }

    #[test]
    fn nul_and_invalid_utf8_do_not_break_parsing() {
        let mut raw = b"\x00\xff\xfe garbage\n".to_vec();
        raw.extend_from_slice(console("", &[ED]).as_bytes());
        let got = parse(&raw).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
    }

    #[test]
    fn corrupt_key_inside_block_is_an_error_naming_the_line() {
        let text = console("", &[ED]).replace(ED, "ssh-ed25519 AAAAnotbase64!! root");
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ConsoleError::BadKey { line: 9, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn corrupt_fingerprint_inside_block_is_an_error_naming_the_line() {
        let text = console("ec2: ", &[ED]).replace("SHA256:", "SHA256:!!");
        let err = parse(text.as_bytes()).unwrap_err();
        assert_eq!(err, ConsoleError::BadFingerprint { line: 5 });
    }

    #[test]
    fn dsa_is_ignored() {
        let text = console("", &[ED])
            .replace(
                &format!("{ED}\n"),
                &format!("ssh-dss AAAAB3NzaC1kc3MAAACBAP== root\n{ED}\n"),
            )
            .replace(
                &format!("{FP_END}\n"),
                &format!("1024 SHA256:notparsed root (DSA)\n{FP_END}\n"),
            );
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
        assert_eq!(got.fingerprints.len(), 1);
    }

    #[test]
    fn md5_fingerprints_are_recomputed() {
        let k = key(ED);
        let blob = k.to_bytes().unwrap();
        let hex: Vec<String> = md5_digest(&blob)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for form in [format!("MD5:{}", hex.join(":")), hex.join(":")] {
            let fps = format!("ec2: {FP_BEGIN}\nec2: 256 {form} root@x (ED25519)\nec2: {FP_END}\n");
            let got = parse(fps.as_bytes()).unwrap();
            assert!(got.lists_fingerprint_of(&k), "{form}");
            assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
            assert!(matches!(got.fingerprints[0].digest, Digest::Md5(_)));
            // MD5 fingerprints are compared with the KEYS block too.
            let got = parse((fps.clone() + &keys_block(&[ED])).as_bytes()).unwrap();
            assert_eq!(got.keys, vec![key(ED)]);
            assert!(is_contradictory(&parse(
                (fps + &keys_block(&[OTHER_ED])).as_bytes()
            )));
        }
    }

    #[test]
    fn empty_console_vouches_for_nothing() {
        assert!(parse(b"").unwrap().is_empty());
        let text = format!("{BANNER}[    1.2] EXT4-fs mounted\n{OTHER_ED}\n");
        assert!(parse(text.as_bytes()).unwrap().is_empty());
    }

    /// A short fuzz smoke run in the suite (contrib/fuzz runs the real fuzzer):
    /// random mutations of a real console (two boots, so the boot split and
    /// the block pairing are exercised) never panic and never let an escape
    /// through.
    #[test]
    fn mutated_consoles_never_panic_or_leak_escapes() {
        let base = (console("ec2: ", &[OTHER_ED]) + &console("ec2: ", &[EC, ED])).into_bytes();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let specials = [
            0x1b, 0x9b, 0x00, 0xff, b'\r', b'\n', b'-', b' ', b'\x07', b']',
        ];
        for _ in 0..3000 {
            let mut bytes = base.clone();
            for _ in 0..1 + next(8) {
                let at = next(bytes.len());
                match next(3) {
                    0 => bytes[at] = specials[next(specials.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, specials[next(specials.len())]),
                }
            }
            let _ = parse(&bytes);
            let clean = crate::text::sanitize_lines(&bytes);
            assert!(!clean.contains('\u{1b}') && !clean.contains('\u{9b}'));
        }
    }
}
