//! The files the tool owns or edits: the host CA's key (`ca`), the user's known_hosts file (the model
//! that keeps every byte, and its locked atomic rewrite), the verified-key
//! cache, the seed store, the team store on S3 (`team`: records written
//! create-only), and the permission rules every trusted file and directory
//! must pass.
//!
//! Nothing here decides whether a key is trusted; that is `trust`'s job.
//!
//! May import: `aws` (instance facts such as an address's side), `net`
//! (`ssh -G` for HashKnownHosts), `error`, `text`.

pub mod ca;
pub mod cache;
pub mod files;
pub mod known_hosts;
pub mod seeds;
pub mod team;
