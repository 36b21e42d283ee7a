//! Docker's human output (sizes and durations come from `crate::gofmt`): the
//! `ps` columns (IDs, quoted commands, status, ports) and the tabwriter
//! that aligns `ps`, `images` and `stats` tables.

mod events;
mod inspect;
mod ps;
mod rows;
mod stats;
mod table;
mod tabwriter;

pub use events::event_line;
pub use inspect::{inspect_format, render_inspect};
pub use ps::{ellipsis, running_for, truncate_id};
pub use rows::{CONTAINER_HEADER, ContainerRow, IMAGE_HEADER, ImageRow, Zone, image_rows};
pub use stats::{STATS_HEADER, StatsEntry, StatsRow, stats_entry, stats_format};
pub use table::{container_format, image_format, render};
pub use tabwriter::TabWriter;
