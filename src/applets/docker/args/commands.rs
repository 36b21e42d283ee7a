//! Every docker command whose table is generated from its `--help`.

use super::CommandSpec;
use super::container_commands::{
    ATTACH, COMMIT, CONTAINER_PRUNE, CP, DIFF, EXEC, EXPORT, KILL, LOGS, PAUSE, PORT, RENAME,
    RESTART, RM, START, STATS, STOP, TOP, UNPAUSE, UPDATE, WAIT,
};
use super::other_commands::{
    EVENTS, HISTORY, IMAGE_PRUNE, IMAGES, IMPORT, INFO, INSPECT, LOAD, PULL, PUSH, RMI, SAVE,
    SYSTEM_DF, SYSTEM_PRUNE, TAG, VERSION,
};

/// Every command generated from `docker X --help`, with the names it
/// answers to (the alias list of its help).
pub(super) const GENERATED: &[(&CommandSpec, &str)] = &[
    (&ATTACH, "docker container attach, docker attach"),
    (&COMMIT, "docker container commit, docker commit"),
    (&CONTAINER_PRUNE, ""),
    (&CP, "docker container cp, docker cp"),
    (&DIFF, "docker container diff, docker diff"),
    (&EVENTS, "docker system events, docker events"),
    (&EXEC, "docker container exec, docker exec"),
    (&EXPORT, "docker container export, docker export"),
    (&HISTORY, "docker image history, docker history"),
    (&IMAGE_PRUNE, ""),
    (&IMAGES, "docker image ls, docker image list, docker images"),
    (&IMPORT, "docker image import, docker import"),
    (&INFO, "docker system info, docker info"),
    (&INSPECT, ""),
    (&KILL, "docker container kill, docker kill"),
    (&LOAD, "docker image load, docker load"),
    (&LOGS, "docker container logs, docker logs"),
    (&PAUSE, "docker container pause, docker pause"),
    (&PORT, "docker container port, docker port"),
    (&PULL, "docker image pull, docker pull"),
    (&PUSH, "docker image push, docker push"),
    (&RENAME, "docker container rename, docker rename"),
    (&RESTART, "docker container restart, docker restart"),
    (
        &RM,
        "docker container rm, docker container remove, docker rm",
    ),
    (&RMI, "docker image rm, docker image remove, docker rmi"),
    (&SAVE, "docker image save, docker save"),
    (&START, "docker container start, docker start"),
    (&STATS, "docker container stats, docker stats"),
    (&STOP, "docker container stop, docker stop"),
    (&SYSTEM_DF, ""),
    (&SYSTEM_PRUNE, ""),
    (&TAG, "docker image tag, docker tag"),
    (&TOP, "docker container top, docker top"),
    (&UNPAUSE, "docker container unpause, docker unpause"),
    (&UPDATE, "docker container update, docker update"),
    (&VERSION, ""),
    (&WAIT, "docker container wait, docker wait"),
];
