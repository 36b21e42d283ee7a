//! dockbox's one integration-test binary. Each module covers one area; the
//! harness holds what they share. Tests that need root or a kernel feature
//! print `skipped: <reason>` instead of passing silently.

mod harness;

mod client_golden;
mod client_wire;
mod daemon_http;
mod daemon_support;
mod daemon_system;
mod fixture;
mod install;
mod multicall;
mod runc_rootfs;
