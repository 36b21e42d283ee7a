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

#[allow(unused_imports)] // The API the commands will use.
pub use events::{event_line, rfc3339_nano_fixed};
#[allow(unused_imports)]
pub use inspect::{InspectFormat, inspect_format, reformat_json, render_inspect};
#[allow(unused_imports)]
pub use ps::{
    ContainerState, Health, PortSummary, container_status, displayable_ports, ellipsis,
    quoted_command, running_for, truncate_id,
};
#[allow(unused_imports)]
pub use rows::{
    CONTAINER_HEADER, ContainerRow, Header, IMAGE_HEADER, ImageRow, Zone, go_time_string,
    image_rows,
};
#[allow(unused_imports)]
pub use stats::{
    DEFAULT_STATS_FORMAT, STATS_HEADER, StatsEntry, StatsRow, stats_entry, stats_format,
};
#[allow(unused_imports)]
pub use table::{container_format, image_format, render, resolve_format};
#[allow(unused_imports)]
pub use tabwriter::{TabWriter, display_width, table};
