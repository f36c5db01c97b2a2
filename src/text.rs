//! Text that reaches the user's terminal. Anything from AWS or an instance
//! (tags, names, console output, error messages quoting them) goes through
//! [`sanitize`] first, so nothing the instance or a tag-writer chose can move
//! the cursor, retitle the terminal or hide text.
//!
//! Where text goes: a command's result (the lines, report or JSON it was
//! asked for) goes to stdout; messages (progress, notes, warnings) go to
//! stderr through [`note`] and [`warn`], which `--quiet` silences; errors
//! are printed by `main` whatever `--quiet` says.
//!
//! May import: nothing of the crate.

/// `text` on one line, without terminal escape sequences or control characters (tabs kept).
pub fn sanitize(text: &str) -> String {
    sanitize_lines(text.as_bytes()).replace('\n', " ")
}

/// One message line on stderr, `ec2-hostkey: …`, unless `--quiet`.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("ec2-hostkey: {}", sanitize(text));
    }
}

/// A warning on stderr, `ec2-hostkey: warning: …`, unless `--quiet`.
pub fn warn(quiet: bool, text: &str) {
    note(quiet, &format!("warning: {text}"));
}

/// Removes terminal escape sequences and control bytes, keeping `\n` and `\t`.
///
/// The result is safe to print: nothing the instance wrote can move the
/// user's cursor, retitle the terminal or hide text.
pub fn sanitize_lines(raw: &[u8]) -> String {
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
