//! `docker system prune`: container, network, (volume,) image and build
//! cache prune in the CLI's order, one confirmation for all of them, and
//! the reports printed as each prune answers.

use super::{Session, confirm, containers, images, print};
use crate::api::prune::{BuildCachePruneReport, NetworksPruneReport, VolumesPruneReport};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, version_less};
use crate::applets::docker::parse::filters::{Filters, collect_filters, filters_json};
use crate::applets::docker::queries::encode_query;
use crate::gofmt::size::human_size;

/// What a prune command prints after its report: the list (if any), a
/// blank line after it, and the total.
pub fn print_report(space: u64, output: &str) {
    let mut out = String::new();
    if !output.is_empty() {
        out.push_str(output);
        out.push('\n');
    }
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        human_size(space as f64)
    ));
    print(&out);
}

pub fn system_prune(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let filters = collect_filters(parsed.values("filter")).map_err(|e| Failure::new(1, e))?;
    let volumes = parsed.is_true("volumes");
    if volumes && filters.contains_key("until") {
        return Err(Failure::new(
            1,
            "ERROR: The \"until\" filter is not supported with \"--volumes\"",
        ));
    }
    let all = parsed.is_true("all");
    // Build cache prune came with API 1.31.
    let build_cache = !version_less(&session.client.api_version(), "1.31");
    if !parsed.is_true("force") && !confirm(&warning(all, volumes, build_cache, &filters)) {
        return Ok(());
    }
    let mut total = 0;
    let mut report = |session: &mut Session, step: PruneStep| -> Result<(), Failure> {
        let (space, output) = step(session, parsed, &filters)?;
        total += space;
        if !output.is_empty() {
            print(&format!("{output}\n"));
        }
        Ok(())
    };
    report(session, |session, parsed, _| {
        containers::prune_stopped(session, parsed)
    })?;
    report(session, prune_networks)?;
    if volumes {
        report(session, prune_volumes)?;
    }
    report(session, |session, parsed, _| {
        images::prune_unused(session, parsed)
    })?;
    if build_cache {
        report(session, prune_build_cache)?;
    }
    print(&format!(
        "Total reclaimed space: {}\n",
        human_size(total as f64)
    ));
    Ok(())
}

type PruneStep = fn(&mut Session, &Parsed, &Filters) -> Result<(u64, String), Failure>;

/// The confirmation text of the CLI's template: what will go, and the
/// label and until filters (naturally sorted) that narrow it.
fn warning(all: bool, volumes: bool, build_cache: bool, filters: &Filters) -> String {
    let mut items = vec![
        "all stopped containers",
        "all networks not used by at least one container",
    ];
    if volumes {
        items.push("all anonymous volumes not used by at least one container");
    }
    items.push(if all {
        "all images without at least one container associated to them"
    } else {
        "all dangling images"
    });
    if build_cache {
        items.push(if all {
            "all build cache"
        } else {
            "unused build cache"
        });
    }
    let mut text = String::from("WARNING! This will remove:\n");
    for item in items {
        text.push_str(&format!("  - {item}\n"));
    }
    let mut shown: Vec<String> = ["label", "label!", "until"]
        .iter()
        .flat_map(|name| {
            filters
                .get(*name)
                .into_iter()
                .flatten()
                .map(move |value| format!("{name}={value}"))
        })
        .collect();
    shown.sort_by(|a, b| natural_order(a, b));
    if !shown.is_empty() {
        text.push_str("\n  Items to be pruned will be filtered with:\n");
        for filter in shown {
            text.push_str(&format!("  - {filter}\n"));
        }
    }
    text
}

/// The order of Go's `sortorder.NaturalLess`: runs of digits compare by
/// value, everything else byte by byte.
fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let run = |s: &[u8], mut k: usize| {
                while k < s.len() && s[k] == b'0' {
                    k += 1;
                }
                let start = k;
                while k < s.len() && s[k].is_ascii_digit() {
                    k += 1;
                }
                (start, k)
            };
            let (sa, ea) = run(a, i);
            let (sb, eb) = run(b, j);
            let order = (ea - sa)
                .cmp(&(eb - sb))
                .then_with(|| a[sa..ea].cmp(&b[sb..eb]));
            if order != Ordering::Equal {
                return order;
            }
            (i, j) = (ea, eb);
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// The `filters` parameter alone, as the CLI sends it to network and
/// volume prune.
fn filters_query(filters: &Filters) -> String {
    let mut params = Vec::new();
    if let Some(json) = filters_json(filters) {
        params.push(("filters", json));
    }
    encode_query(&mut params)
}

fn post_report<T: serde::de::DeserializeOwned>(
    session: &mut Session,
    path: &str,
    query: &str,
) -> Result<T, Failure> {
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    session.client.call("POST", &target, &[])?.decode()
}

/// The deleted names of a report, each on its own line under `title`;
/// empty when none.
fn listed(names: Option<&[String]>, title: &str) -> String {
    let names = names.unwrap_or_default();
    if names.is_empty() {
        return String::new();
    }
    let mut output = format!("{title}\n");
    for name in names {
        output.push_str(name);
        output.push('\n');
    }
    output
}

fn prune_networks(
    session: &mut Session,
    _parsed: &Parsed,
    filters: &Filters,
) -> Result<(u64, String), Failure> {
    let report: NetworksPruneReport =
        post_report(session, "/networks/prune", &filters_query(filters))?;
    let deleted = report.networks_deleted.as_deref();
    Ok((0, listed(deleted, "Deleted Networks:")))
}

pub(super) fn prune_volumes(
    session: &mut Session,
    _parsed: &Parsed,
    filters: &Filters,
) -> Result<(u64, String), Failure> {
    let report: VolumesPruneReport =
        post_report(session, "/volumes/prune", &filters_query(filters))?;
    let output = listed(report.volumes_deleted.as_deref(), "Deleted Volumes:");
    // The CLI counts the space only when something was deleted.
    let space = if output.is_empty() {
        0
    } else {
        report.space_reclaimed
    };
    Ok((space, output))
}

fn prune_build_cache(
    session: &mut Session,
    parsed: &Parsed,
    filters: &Filters,
) -> Result<(u64, String), Failure> {
    let mut params = vec![("filters", filters_json(filters).unwrap_or_default())];
    if parsed.is_true("all") {
        params.push(("all", "1".to_string()));
    }
    let report: BuildCachePruneReport =
        post_report(session, "/build/prune", &encode_query(&mut params))?;
    let output = listed(
        report.caches_deleted.as_deref(),
        "Deleted build cache objects:",
    );
    Ok((report.space_reclaimed, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(pairs: &[(&str, &str)]) -> Filters {
        let mut filters = Filters::new();
        for (name, value) in pairs {
            filters
                .entry(name.to_string())
                .or_default()
                .insert(value.to_string());
        }
        filters
    }

    #[test]
    fn warning_lists_what_goes_and_the_shown_filters() {
        assert_eq!(
            warning(false, false, true, &Filters::new()),
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n"
        );
        assert!(!warning(true, false, false, &Filters::new()).contains("build cache"));
        let text = warning(
            true,
            true,
            true,
            &filters(&[("until", "24h"), ("label", "a=b"), ("dangling", "true")]),
        );
        assert_eq!(
            text,
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n\n  Items to be pruned will be filtered with:\n  - label=a=b\n  - until=24h\n"
        );
    }

    #[test]
    fn natural_order_compares_numbers_by_value() {
        use std::cmp::Ordering::*;
        assert_eq!(natural_order("label=a2", "label=a10"), Less);
        assert_eq!(natural_order("label!=x", "label=x"), Less);
        assert_eq!(natural_order("until=5", "until=5"), Equal);
        assert_eq!(natural_order("a", "ab"), Less);
    }
}
