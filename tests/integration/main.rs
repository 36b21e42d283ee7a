//! dockbox's one integration-test binary. Each module covers one area; the
//! harness holds what they share. Tests that need root or a kernel feature
//! print `skipped: <reason>` instead of passing silently.

mod harness;

mod client_events_cases;
mod client_golden;
mod client_import_url;
mod client_interactive;
mod client_manage;
mod client_prune_cases;
mod client_run_cases;
mod client_stats;
mod client_wire;
mod daemon_accept;
mod daemon_attach_upgrade;
mod daemon_bad_input;
mod daemon_connections;
mod daemon_containers;
mod daemon_events;
mod daemon_fds;
mod daemon_http;
mod daemon_http_smuggling;
mod daemon_images;
mod daemon_images_dockerd;
mod daemon_images_hostile;
mod daemon_leaks;
mod daemon_logs_prune;
mod daemon_run;
mod daemon_run_more;
mod daemon_shim_death;
mod daemon_storage_propagation;
mod daemon_support;
mod daemon_swarm;
mod daemon_system;
mod dropin_containerd;
mod dropin_docker;
mod fixture;
mod install;
mod multicall;
mod runc_cgroups;
mod runc_cli;
mod runc_console;
mod runc_containerd;
mod runc_dockerd;
mod runc_fds;
mod runc_lifecycle;
mod runc_lifecycle_conformance;
mod runc_namespaces;
mod runc_process;
mod runc_rootfs;
mod runc_rootless;
mod runc_security;
mod runc_selfexe;
mod runc_support;
