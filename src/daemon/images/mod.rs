//! The image endpoints: list, inspect, history, tag, untag, delete,
//! prune, load, save and pull/import, with moby's rules for tagging,
//! untagging and deleting, each logging its events as moby does. The
//! records and the store they describe are the image service's
//! (`daemon::image_service`), which containers use too.

mod download;
mod filters;
mod list;
mod pull;
mod push;
mod remove;
mod spool;
mod transfer;

use super::route::Route;
use crate::api::Router;

pub fn routes(router: &mut Router<Route>) {
    router
        .add("GET", "/images/json", list::list_images)
        .add("POST", "/images/load", transfer::load)
        .add("GET", "/images/get", transfer::save)
        .add("POST", "/images/create", transfer::create)
        .add("POST", "/images/prune", remove::prune)
        .add("GET", "/images/{name*}/get", transfer::save)
        .add("GET", "/images/{name*}/json", list::inspect)
        .add("GET", "/images/{name*}/history", list::history)
        .add("POST", "/images/{name*}/tag", remove::tag)
        .add("POST", "/images/{name*}/push", push::push)
        .add("DELETE", "/images/{name*}", remove::delete);
}
