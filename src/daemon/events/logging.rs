//! What the daemon's parts log as events, in moby's words: the actor's
//! attributes of a container, an image or a prune.

use crate::api::events::{Actor, CONTAINER, IMAGE};
use crate::daemon::containers::record::ContainerRecord;
use crate::daemon::state::Daemon;
use std::collections::BTreeMap;

impl Daemon {
    /// A container event as moby logs it: the container's labels, then
    /// `image` and `name` over them, then the action's own attributes.
    pub fn log_container_event(
        &self,
        record: &ContainerRecord,
        action: &str,
        extra: &[(&str, String)],
    ) {
        let mut attributes: BTreeMap<String, String> = extra
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect();
        if let Some(labels) = &record.config.labels {
            attributes.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let image = if record.config.image.is_empty() {
            &record.image_name
        } else {
            &record.config.image
        };
        if !image.is_empty() {
            attributes.insert("image".into(), image.clone());
        }
        attributes.insert(
            "name".into(),
            record.name.trim_start_matches('/').to_string(),
        );
        let actor = Actor {
            id: record.id.clone(),
            attributes,
        };
        self.events().publish(CONTAINER, action, actor);
    }

    /// An image event: the image's labels (while it still exists) and
    /// `name`, the reference acted on or the ID itself.
    pub fn log_image_event(&self, image_id: &str, name: &str, action: &str) {
        let mut attributes = self
            .store()
            .get_image::<crate::image::ImageRecord>(image_id)
            .ok()
            .flatten()
            .and_then(|image| image.config.config.and_then(|config| config.labels))
            .unwrap_or_default();
        if !name.is_empty() {
            attributes.insert("name".into(), name.to_string());
        }
        let actor = Actor {
            id: image_id.to_string(),
            attributes,
        };
        self.events().publish(IMAGE, action, actor);
    }

    /// The `prune` event of containers or images: no actor ID, the bytes
    /// reclaimed as its one attribute.
    pub fn log_prune_event(&self, kind: &str, reclaimed: u64) {
        let actor = Actor {
            id: String::new(),
            attributes: BTreeMap::from([("reclaimed".to_string(), reclaimed.to_string())]),
        };
        self.events().publish(kind, "prune", actor);
    }
}
