//! Text that reaches the user's terminal. Anything from AWS or an instance
//! (tags, names, console output, error messages quoting them) goes through
//! [`sanitize`] first, so nothing the instance or a tag-writer chose can move
//! the cursor, retitle the terminal or hide text.

/// `text` without terminal escape sequences or control characters (tabs kept).
pub fn sanitize(text: &str) -> String {
    crate::sources::console::sanitize(text.as_bytes()).replace('\n', " ")
}

/// One message line on stderr, `ec2-hostkey: …`, unless `--quiet`.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("ec2-hostkey: {}", sanitize(text));
    }
}
