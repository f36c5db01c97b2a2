//! known_hosts files: parse → render is the identity on any bytes, and
//! matching, lookups and removal never panic.
#![no_main]

use ec2_hostkey::store::known_hosts::KnownHosts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = KnownHosts::parse(data);
    assert_eq!(file.render(), data);
    let name = std::str::from_utf8(&data[..data.len().min(24)]).unwrap_or("host");
    for (_, entry) in file.entries() {
        let _ = entry.match_host(name);
        let _ = entry.match_host("[10.0.0.1]:2222");
    }
    let mut edited = file.clone();
    let removed = edited.remove(name, false).len();
    assert_eq!(edited.lines.len() + removed, file.lines.len());
});
