//! Every docker command the client has a flag table for. The tables were
//! written from Docker CLI 28's `--help` output and argument errors, and the
//! tests check each `--help` against the captured text (testdata/).

use super::CommandSpec;
use super::container_commands::{
    ATTACH, COMMIT, CONTAINER_PRUNE, CP, DIFF, EXEC, EXPORT, KILL, LOGS, PAUSE, PORT, RENAME,
    RESTART, RM, START, STATS, STOP, TOP, UNPAUSE, UPDATE, WAIT,
};
use super::network_commands::{
    NETWORK_CONNECT, NETWORK_CREATE, NETWORK_DISCONNECT, NETWORK_INSPECT, NETWORK_LS,
    NETWORK_PRUNE, NETWORK_RM,
};
use super::other_commands::{
    BUILD, EVENTS, HISTORY, IMAGE_PRUNE, IMAGES, IMPORT, INFO, INSPECT, LOAD, LOGIN, LOGOUT, PULL,
    PUSH, RMI, SAVE, SYSTEM_DF, SYSTEM_PRUNE, TAG, VERSION,
};
use super::tables::{CONTAINER_INSPECT, CREATE, IMAGE_INSPECT, PS, RUN};
use super::volume_commands::{VOLUME_CREATE, VOLUME_INSPECT, VOLUME_LS, VOLUME_PRUNE, VOLUME_RM};

/// Each command answers to its name and to the aliases its help lists.
pub(super) const COMMANDS: &[&CommandSpec] = &[
    &ATTACH,
    &BUILD,
    &COMMIT,
    &CONTAINER_INSPECT,
    &CONTAINER_PRUNE,
    &CP,
    &CREATE,
    &DIFF,
    &EVENTS,
    &EXEC,
    &EXPORT,
    &HISTORY,
    &IMAGES,
    &IMAGE_INSPECT,
    &IMAGE_PRUNE,
    &IMPORT,
    &INFO,
    &INSPECT,
    &KILL,
    &LOAD,
    &LOGIN,
    &LOGOUT,
    &LOGS,
    &NETWORK_CONNECT,
    &NETWORK_CREATE,
    &NETWORK_DISCONNECT,
    &NETWORK_INSPECT,
    &NETWORK_LS,
    &NETWORK_PRUNE,
    &NETWORK_RM,
    &PAUSE,
    &PORT,
    &PS,
    &PULL,
    &PUSH,
    &RENAME,
    &RESTART,
    &RM,
    &RMI,
    &RUN,
    &SAVE,
    &START,
    &STATS,
    &STOP,
    &SYSTEM_DF,
    &SYSTEM_PRUNE,
    &TAG,
    &TOP,
    &UNPAUSE,
    &UPDATE,
    &VERSION,
    &VOLUME_CREATE,
    &VOLUME_INSPECT,
    &VOLUME_LS,
    &VOLUME_PRUNE,
    &VOLUME_RM,
    &WAIT,
];
