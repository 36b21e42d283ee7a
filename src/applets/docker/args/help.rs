//! The `Options:` block of `--help` as spf13/pflag lays it out
//! (`FlagUsagesWrapped`): names and types in one column, usage text
//! wrapped to the terminal width in the next.

use super::CommandSpec;

/// The flag lines of `spec` wrapped for a terminal `width` columns wide
/// (docker wraps at `width - 1`; 80 when stdout is no terminal).
/// `$HOME/.docker` in usage texts (the config directory defaults) becomes
/// `config_dir`, as the CLI shows the directory it actually uses.
pub fn flag_usages(spec: &CommandSpec, width: usize, config_dir: &str) -> String {
    let cols = width.saturating_sub(1);
    let mut lines = Vec::new();
    let mut max_len = 0;
    for flag in spec.flags().filter(|flag| !flag.hidden) {
        let mut head = match flag.short {
            Some(short) => format!("  -{short}, --{}", flag.long),
            None => format!("      --{}", flag.long),
        };
        if let Some(value_type) = flag.value_type {
            head.push(' ');
            head.push_str(value_type);
        }
        // pflag counts the alignment marker it places here.
        max_len = max_len.max(head.len() + 1);
        lines.push((head, flag.usage.replace("$HOME/.docker", config_dir)));
    }
    let mut out = String::new();
    for (head, usage) in lines {
        let spacing = " ".repeat(max_len - head.len());
        out.push_str(&format!(
            "{head} {spacing} {}\n",
            wrap_text(max_len + 2, cols, &usage)
        ));
    }
    out
}

/// The `--help` text of a command (docker's cobra usage template):
/// usage line, description, aliases and options.
pub fn help_text(spec: &CommandSpec, width: usize, config_dir: &str) -> String {
    let mut out = format!("Usage:  {}\n\n{}\n", spec.usage, spec.short);
    if !spec.aliases.is_empty() {
        out.push_str(&format!("\nAliases:\n  {}\n", spec.aliases));
    }
    let options = flag_usages(spec, width, config_dir);
    if !options.is_empty() {
        out.push_str("\nOptions:\n");
        out.push_str(&options);
    }
    out
}

/// pflag's `wrap`: `text` in lines of at most `cols - indent` columns,
/// continuation lines indented by `indent`, with a little slop to avoid
/// orphaned short words.
pub fn wrap_text(mut indent: usize, cols: usize, text: &str) -> String {
    if cols == 0 {
        return text.replace('\n', &format!("\n{}", " ".repeat(indent)));
    }
    let mut width = cols.saturating_sub(indent);
    let mut out = String::new();
    if width < 24 {
        indent = 16;
        width = cols.saturating_sub(indent);
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    if width < 24 {
        return text.replace('\n', &out);
    }
    let slop = 5;
    width -= slop;
    let pad = " ".repeat(indent);
    let (first, mut rest) = wrap_once(width, slop, text);
    out.push_str(&first.replace('\n', &format!("\n{pad}")));
    while !rest.is_empty() {
        let (line, remaining) = wrap_once(width, slop, rest);
        out.push('\n');
        out.push_str(&pad);
        out.push_str(&line.replace('\n', &format!("\n{pad}")));
        rest = remaining;
    }
    out
}

/// pflag's `wrapN`: splits at the last space or newline before `width`,
/// unless the text fits within `width + slop`.
fn wrap_once(width: usize, slop: usize, text: &str) -> (&str, &str) {
    if width + slop > text.len() {
        return (text, "");
    }
    let head = &text[..floor_boundary(text, width)];
    let Some(space) = head.rfind([' ', '\t', '\n']).filter(|&i| i > 0) else {
        return (text, "");
    };
    if let Some(newline) = head.rfind('\n').filter(|&i| i > 0 && i < space) {
        return (&text[..newline], &text[newline + 1..]);
    }
    (&text[..space], &text[space + 1..])
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::super::{GLOBAL, PS, RUN};
    use super::*;

    // The Options blocks of `docker run --help`, `docker ps --help` and
    // `docker --help` (Docker CLI 28, not on a terminal: 80 columns).
    const RUN_HELP: &str = include_str!("testdata/run-help.txt");
    const PS_HELP: &str = include_str!("testdata/ps-help.txt");
    const DOCKER_HELP: &str = include_str!("testdata/docker-help.txt");

    fn options_block<'a>(help: &'a str, title: &str) -> &'a str {
        let start = help.find(title).expect("options title") + title.len() + 1;
        let rest = &help[start..];
        let end = rest.find("\n\n").map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }

    #[test]
    fn run_options_as_docker_prints_them() {
        assert_eq!(
            flag_usages(&RUN, 80, "/root/.docker"),
            options_block(RUN_HELP, "Options:")
        );
    }

    #[test]
    fn ps_options_as_docker_prints_them() {
        assert_eq!(
            flag_usages(&PS, 80, "/root/.docker"),
            options_block(PS_HELP, "Options:")
        );
    }

    #[test]
    fn global_options_as_docker_prints_them() {
        // Captured as root: the config defaults name /root.
        assert_eq!(
            flag_usages(&GLOBAL, 80, "/root/.docker"),
            options_block(DOCKER_HELP, "Global Options:")
        );
    }

    #[test]
    fn whole_help_texts() {
        assert_eq!(help_text(&RUN, 80, "/root/.docker"), RUN_HELP);
        assert_eq!(help_text(&PS, 80, "/root/.docker"), PS_HELP);
    }

    #[test]
    fn wrapping_rules() {
        assert_eq!(wrap_text(10, 40, "short"), "short");
        assert_eq!(
            wrap_text(10, 40, "one two three four five six seven eight nine"),
            "one two three four five\n          six seven eight nine"
        );
        assert_eq!(wrap_text(4, 0, "a\nb"), "a\n    b");
    }
}
