//! End-to-end tests: the real binary, the real OpenSSH client and sshd, and
//! moto's EC2 server (the testbed in tests/sim). One test crate, split by topic.

mod support;

mod accounts;
mod ca;
mod carriers;
mod certificates;
mod cold_path;
mod config;
mod doctor;
mod ec2_names;
mod ecosystem;
mod eice;
mod fast_paths;
mod faults;
mod fetch;
mod generated;
mod home;
mod hostile;
mod maintenance;
mod proxy;
mod seed;
mod serve;
mod ssm;
mod store;
mod store_attacks;
mod sync;
mod trust;
