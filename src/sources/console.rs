//! Parsing cloud-init's host-key blocks out of EC2 console output.
//!
//! Console text is untrusted input (DESIGN.md, trust rule 2): only the latest
//! complete block of each kind counts, lines outside the markers are ignored,
//! every key must parse, and fingerprints are kept only to be compared with
//! ones we compute ourselves. Terminal escapes and control bytes are removed
//! before anything else looks at the text.

use ssh_key::{HashAlg, PublicKey};

const FP_BEGIN: &str = "-----BEGIN SSH HOST KEY FINGERPRINTS-----";
const FP_END: &str = "-----END SSH HOST KEY FINGERPRINTS-----";
const KEYS_BEGIN: &str = "-----BEGIN SSH HOST KEY KEYS-----";
const KEYS_END: &str = "-----END SSH HOST KEY KEYS-----";

/// How many following lines a wrapped key line may continue over.
const MAX_WRAP_LINES: usize = 16;

/// What the console output vouches for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConsoleKeys {
    /// Keys from the latest complete `SSH HOST KEY KEYS` block.
    pub keys: Vec<PublicKey>,
    /// Fingerprints from the latest complete `SSH HOST KEY FINGERPRINTS` block.
    pub fingerprints: Vec<ListedFingerprint>,
}

impl ConsoleKeys {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.fingerprints.is_empty()
    }

    /// Whether `key`'s recomputed fingerprint appears in the fingerprint block.
    pub fn lists_fingerprint_of(&self, key: &PublicKey) -> bool {
        self.fingerprints.iter().any(|listed| listed.matches(key))
    }
}

/// A fingerprint as printed by `ssh-keygen -l`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListedFingerprint {
    Sha256(Vec<u8>),
    Md5(Vec<u8>),
}

impl ListedFingerprint {
    /// Recomputes `key`'s fingerprint and compares; nothing from the console is copied.
    pub fn matches(&self, key: &PublicKey) -> bool {
        match self {
            ListedFingerprint::Sha256(digest) => {
                key.fingerprint(HashAlg::Sha256).as_bytes() == digest.as_slice()
            }
            ListedFingerprint::Md5(digest) => {
                let blob = key.to_bytes().unwrap_or_default();
                md5_digest(&blob).as_slice() == digest.as_slice()
            }
        }
    }
}

/// A console line that sits inside a block but cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsoleError {
    #[error(
        "console output line {line}: host key does not parse ({reason}); the console may be corrupt, retry later or verify by hand"
    )]
    BadKey { line: usize, reason: String },
    #[error(
        "console output line {line}: fingerprint line does not parse; the console may be corrupt, retry later or verify by hand"
    )]
    BadFingerprint { line: usize },
}

/// Removes terminal escape sequences and control bytes, keeping `\n` and `\t`.
///
/// The result is safe to print: nothing the instance wrote can move the
/// user's cursor, retitle the terminal or hide text.
pub fn sanitize(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 control introducer for CSI; the rest of the sequence follows.
            '\u{9b}' => skip_csi(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        // OSC, DCS, SOS, PM, APC: strings ended by BEL or ESC \.
        Some(']' | 'P' | 'X' | '^' | '_') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' || c == '\n' {
                    break;
                }
                if c == '\u{1b}' {
                    chars.next_if_eq(&'\\');
                    break;
                }
            }
        }
        // Two-byte escapes with an intermediate byte, e.g. ESC ( B.
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
        }
        _ => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) || c == '\n' {
            break;
        }
    }
}

struct Block<'a> {
    /// Index of the line holding the END marker.
    end: usize,
    /// (1-based line number, content with the block's prefix removed)
    lines: Vec<(usize, &'a str)>,
}

/// Parses console output into the keys and fingerprints it vouches for.
///
/// # Errors
/// A line inside the latest complete block that looks like a key or a
/// fingerprint but does not parse.
pub fn parse(raw: &[u8]) -> Result<ConsoleKeys, ConsoleError> {
    let text = sanitize(raw);
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let fp_block = latest_block(&lines, FP_BEGIN, FP_END);
    let keys_block = latest_block(&lines, KEYS_BEGIN, KEYS_END);
    let mut result = ConsoleKeys::default();
    if let Some(block) = &fp_block {
        result.fingerprints = parse_fingerprints(block)?;
    }
    if let Some(block) = &keys_block {
        // A fingerprint block printed after the keys block belongs to a later
        // boot whose keys block is missing: the older keys are not current.
        let superseded = fp_block.as_ref().is_some_and(|fp| fp.end > block.end);
        if !superseded {
            result.keys = parse_keys(block)?;
        }
    }
    Ok(result)
}

fn latest_block<'a>(lines: &[&'a str], begin: &str, end: &str) -> Option<Block<'a>> {
    let end_idx = lines.iter().rposition(|l| l.contains(end))?;
    let begin_idx = lines[..end_idx].iter().rposition(|l| l.contains(begin))?;
    // A second END between them would mean the BEGIN belongs to an older
    // block; rposition from the END already rules that out.
    let prefix = &lines[begin_idx][..lines[begin_idx].find(begin)?];
    let body = lines[begin_idx + 1..end_idx]
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            // Lines without the block's logger prefix were interleaved by
            // another writer (kernel, systemd): not part of the block.
            line.strip_prefix(prefix)
                .map(|rest| (begin_idx + 2 + i, rest.trim()))
        })
        .filter(|(_, l)| !l.is_empty())
        .collect();
    Some(Block {
        end: end_idx,
        lines: body,
    })
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
        if algorithm == "ssh-dss" {
            continue; // DSA is obsolete and disabled in OpenSSH: never trusted.
        }
        let (key, used) =
            parse_key_line(line, &block.lines[i..]).map_err(|reason| ConsoleError::BadKey {
                line: number,
                reason,
            })?;
        i += used;
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
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
        let looks_like_fp = words.len() >= 3
            && words[0].parse::<u32>().is_ok()
            && words
                .last()
                .is_some_and(|w| w.starts_with('(') && w.ends_with(')'));
        if !looks_like_fp {
            if words.first().is_some_and(|w| w.parse::<u32>().is_ok()) {
                return Err(ConsoleError::BadFingerprint { line: number });
            }
            continue; // separator lines (#####) and noise
        }
        if words.last() == Some(&"(DSA)") {
            continue;
        }
        let fp =
            parse_fingerprint(words[1]).ok_or(ConsoleError::BadFingerprint { line: number })?;
        out.push(fp);
    }
    Ok(out)
}

fn parse_fingerprint(word: &str) -> Option<ListedFingerprint> {
    use base64::Engine;
    if let Some(b64) = word.strip_prefix("SHA256:") {
        let digest = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .ok()?;
        return (digest.len() == 32).then_some(ListedFingerprint::Sha256(digest));
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
    bytes.filter(|b| b.len() == 16).map(ListedFingerprint::Md5)
}

fn md5_digest(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJRn/bih40J9riOy3bCa9V+rsN36uKpdW7zNv+YT0Qcy root@ip-1";
    const EC: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAOE1cBsaCJt1j9F/76tuF5JznTQkJ0mJmoDcxIeJkU13Qpi3w0c+LFvTPS7EikWPmNY1ZcekekSPJfwERsUtKI= root@ip-1";
    const OTHER_ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv1wNP4mf0CEj0ZCbNuNX4ne5ooMuzsr5Xjuzpsm7Ny other";

    fn key(line: &str) -> PublicKey {
        PublicKey::from_openssh(line).unwrap()
    }

    fn fp_line(prefix: &str, line: &str, label: &str) -> String {
        let k = key(line);
        format!(
            "{prefix}256 {} root@ip-1 ({label})",
            k.fingerprint(HashAlg::Sha256)
        )
    }

    fn console(prefix: &str, keys: &[&str]) -> String {
        let mut out = String::from("[    0.000000] Linux version 6.1\n");
        out += &format!("{prefix}\n{prefix}{}\n{prefix}{FP_BEGIN}\n", "#".repeat(61));
        for k in keys {
            out += &fp_line(prefix, k, "X");
            out.push('\n');
        }
        out += &format!(
            "{prefix}{FP_END}\n{prefix}{}\n{KEYS_BEGIN}\n",
            "#".repeat(61)
        );
        for k in keys {
            out += k;
            out.push('\n');
        }
        out += &format!("{KEYS_END}\n[   41.3] cloud-init[1]: finished\n");
        out
    }

    #[test]
    fn keys_and_fingerprints_with_ec2_prefix() {
        let got = parse(console("ec2: ", &[EC, ED]).as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(EC), key(ED)]);
        assert_eq!(got.fingerprints.len(), 2);
        assert!(got.lists_fingerprint_of(&key(ED)));
        assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
    }

    #[test]
    fn every_logger_prefix_form() {
        for prefix in [
            "",
            "ec2: ",
            "cloud-init: ",
            "<14>Apr 22 19:51:35 cloud-init: ",
        ] {
            let got = parse(console(prefix, &[ED]).as_bytes()).unwrap();
            assert_eq!(got.keys, vec![key(ED)], "prefix {prefix:?}");
            assert!(got.lists_fingerprint_of(&key(ED)), "prefix {prefix:?}");
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
    fn truncated_latest_block_is_ignored() {
        let text = console("", &[ED]) + &format!("{KEYS_BEGIN}\n{OTHER_ED}\n");
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
    }

    #[test]
    fn block_missing_its_begin_is_ignored() {
        let text = format!("{OTHER_ED}\n{KEYS_END}\n");
        assert!(parse(text.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn key_lines_outside_blocks_are_never_trusted() {
        let text = format!("{OTHER_ED}\n{}{OTHER_ED}\n", console("ec2: ", &[ED]));
        let got = parse(text.as_bytes()).unwrap();
        assert_eq!(got.keys, vec![key(ED)]);
    }

    #[test]
    fn keys_from_an_older_boot_are_superseded_by_newer_fingerprints() {
        let newer_fp_only = format!(
            "ec2: {FP_BEGIN}\n{}\nec2: {FP_END}\n",
            fp_line("ec2: ", ED, "ED25519")
        );
        let text = console("ec2: ", &[OTHER_ED]) + &newer_fp_only;
        let got = parse(text.as_bytes()).unwrap();
        assert!(got.keys.is_empty());
        assert!(got.lists_fingerprint_of(&key(ED)));
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
        assert!(!sanitize(text.as_bytes()).contains('\x1b'));
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
    fn dsa_is_ignored() {
        let text = console("", &[ED]).replace(
            &format!("{ED}\n"),
            &format!("ssh-dss AAAAB3NzaC1kc3MAAACBAP== root\n{ED}\n"),
        );
        assert_eq!(parse(text.as_bytes()).unwrap().keys, vec![key(ED)]);
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
            let text =
                format!("ec2: {FP_BEGIN}\nec2: 256 {form} root@x (ED25519)\nec2: {FP_END}\n");
            let got = parse(text.as_bytes()).unwrap();
            assert!(got.lists_fingerprint_of(&k), "{form}");
            assert!(!got.lists_fingerprint_of(&key(OTHER_ED)));
        }
    }

    #[test]
    fn empty_console_vouches_for_nothing() {
        assert!(parse(b"").unwrap().is_empty());
    }

    /// A short fuzz smoke run in the suite (contrib/fuzz runs the real fuzzer):
    /// random mutations of a real console never panic and never let an escape through.
    #[test]
    fn mutated_consoles_never_panic_or_leak_escapes() {
        let base = console("ec2: ", &[EC, ED]).into_bytes();
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
            let clean = sanitize(&bytes);
            assert!(!clean.contains('\u{1b}') && !clean.contains('\u{9b}'));
        }
    }
}
