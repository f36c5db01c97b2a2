//! Which keys belong to an instance (SECURITY.md, the trust rules).
//!
//! - [`resolve`]: from what the user typed to the one running instance (rule 3);
//! - [`console`]: parsing cloud-init's host-key blocks out of console output (rule 2);
//! - [`sources`]: reading the console through the EC2 API, with waiting (rule 1a);
//! - [`seed`]: seeds generated before launch and the proof that binds one (rule 1b);
//! - [`ssm`]: the keys as the instance's Systems Manager agent reads them (rule 1d);
//! - [`policy`]: the one trust policy every command goes through (rules 1, 5, 7);
//! - [`publish`]: verifications written to the team store (rule 1e);
//! - [`names`]: which names keys are recorded under and which lines are ours (rule 3);
//! - [`fleet`]: a snapshot of many instances for the commands that look at many names;
//! - [`connection`]: the verified-connection pipeline (locate → connect →
//!   intercept → verify → record → release → relay), every rule a connection
//!   meets enforced once (rules 1, 3, 5, 7).
//!
//! May import: `store`, `aws`, `net`, `error`, `text`.

pub mod certify;
pub mod connection;
pub mod console;
pub mod fleet;
pub mod names;
pub mod policy;
pub mod publish;
pub mod resolve;
pub mod seed;
pub mod sources;
pub mod ssm;
