//! Console output is untrusted: parsing must never panic, and what we would
//! print of it must never carry a terminal escape.
#![no_main]

use ec2_hostkey::trust::console;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = console::parse(data);
    let clean = ec2_hostkey::text::sanitize_lines(data);
    assert!(!clean.contains('\u{1b}') && !clean.contains('\u{9b}'));
});
