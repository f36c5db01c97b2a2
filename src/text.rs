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

/// Unicode format characters that reorder or hide text on a terminal
/// (bidirectional overrides and isolates, zero-width characters, soft
/// hyphen, BOM): a tag could otherwise display as another name.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
    )
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
            c if c.is_control() || is_invisible_format(c) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_dropped() {
        let tag = "web\u{202e}1-gnp\u{200b}\u{2066}x\u{2069}";
        assert_eq!(sanitize(tag), "web1-gnpx");
        assert_eq!(sanitize("naïve café ✓"), "naïve café ✓");
    }
}
