//! The `dockbox` front end: `dockbox APPLET [ARGS]`, `--list`, `--install`.

use super::{APPLETS, MULTICALL_NAME, run_applet};
use crate::version;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

pub fn main(args: Vec<OsString>) -> i32 {
    let Some(first) = args.get(1) else {
        print_usage();
        return 1;
    };
    match first.to_str() {
        Some("--list") => {
            for applet in APPLETS {
                println!("{}", applet.name);
            }
            0
        }
        Some("--help") | Some("-h") => {
            print_usage();
            0
        }
        Some("--version") => {
            println!(
                "{MULTICALL_NAME} {} (commit {})",
                version::VERSION,
                version::COMMIT
            );
            0
        }
        Some("--install") => install_command(&args[2..]),
        Some(name) if !name.starts_with('-') => run_applet(name, args[1..].to_vec()),
        _ => {
            eprintln!(
                "{MULTICALL_NAME}: unknown option: {}",
                first.to_string_lossy()
            );
            print_usage();
            1
        }
    }
}

fn print_usage() {
    println!(
        "Usage: {MULTICALL_NAME} APPLET [ARGS...]\n   or: APPLET [ARGS...]   (through a link named after the applet)\n\n\
         Options:\n  --list                   list the applets, one per line\n  \
         --install [-s] [--force] DIR\n                           create a link per applet in DIR (-s: symlinks, else hard links)\n  \
         --version                print the version\n\nApplets:"
    );
    for applet in APPLETS {
        println!("  {:<14} {}", applet.name, applet.summary);
    }
}

struct InstallOptions {
    symbolic: bool,
    force: bool,
    dir: PathBuf,
}

fn parse_install(args: &[OsString]) -> Result<InstallOptions, String> {
    let mut symbolic = false;
    let mut force = false;
    let mut dir = None;
    for arg in args {
        match arg.to_str() {
            Some("-s") => symbolic = true,
            Some("--force") | Some("-f") => force = true,
            Some(flag) if flag.starts_with('-') => return Err(format!("unknown option: {flag}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return Err("--install takes one directory".to_string()),
        }
    }
    let dir = dir.ok_or("--install needs a directory")?;
    Ok(InstallOptions {
        symbolic,
        force,
        dir,
    })
}

fn install_command(args: &[OsString]) -> i32 {
    let options = match parse_install(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{MULTICALL_NAME}: {message}");
            eprintln!("Usage: {MULTICALL_NAME} --install [-s] [--force] DIR");
            return 1;
        }
    };
    match install_links(&options) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("{MULTICALL_NAME}: {message}");
            1
        }
    }
}

/// Creates one link per applet in `dir` and prints each path it wrote. An
/// existing entry is replaced only when it already is dockbox (same inode, or
/// a symlink resolving to it), or with `force`; anything else is somebody's
/// file: it is kept, reported on stderr, and the command fails at the end.
fn install_links(options: &InstallOptions) -> Result<(), String> {
    let exe =
        fs::read_link("/proc/self/exe").map_err(|e| format!("readlink /proc/self/exe: {e}"))?;
    let exe_meta = fs::metadata(&exe).map_err(|e| format!("stat {}: {e}", exe.display()))?;
    let dir = &options.dir;
    let dir_meta = fs::metadata(dir).map_err(|e| format!("stat {}: {e}", dir.display()))?;
    if !dir_meta.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    let mut kept = Vec::new();
    for applet in APPLETS {
        let link = dir.join(applet.name);
        if !options.force && is_foreign(&link, &exe_meta)? {
            eprintln!(
                "{MULTICALL_NAME}: kept {}: it is not a dockbox link (--force replaces it)",
                link.display()
            );
            kept.push(applet.name);
            continue;
        }
        replace_with_link(&exe, &link, options.symbolic)
            .map_err(|e| format!("link {} -> {}: {e}", link.display(), exe.display()))?;
        println!("{}", link.display());
    }
    if kept.is_empty() {
        Ok(())
    } else {
        Err(format!("not installed, names taken: {}", kept.join(" ")))
    }
}

fn is_foreign(path: &Path, exe_meta: &fs::Metadata) -> Result<bool, String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("stat {}: {e}", path.display())),
        Ok(_) => Ok(!matches!(fs::metadata(path), Ok(meta)
            if meta.dev() == exe_meta.dev() && meta.ino() == exe_meta.ino())),
    }
}

/// Links under a temporary name, then renames over the target, so that the
/// name is never missing and a failed link leaves the old entry in place.
fn replace_with_link(exe: &Path, link: &Path, symbolic: bool) -> io::Result<()> {
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let temp = link.with_file_name(format!(".{name}.dockbox-new"));
    let _ = fs::remove_file(&temp);
    if symbolic {
        std::os::unix::fs::symlink(exe, &temp)?;
    } else {
        fs::hard_link(exe, &temp)?;
    }
    fs::rename(&temp, link).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}
