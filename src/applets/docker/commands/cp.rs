//! `docker cp`: between a container (HEAD/GET/PUT
//! /containers/{id}/archive) and the local filesystem or a tar stream on
//! stdin/stdout, with docker/cli's path rules (see `cp_paths`) and texts.

use super::super::args::Parsed;
use super::super::client::Failure;
use super::Session;
use super::cp_extract::extract;
use super::cp_paths::{
    CopyInfo, Prepared, destination_info, join, prepare_copy, rebase_name, resolve_local,
    source_info, split_dir_entry, validate_output_path,
};
use crate::api::archive::{PATH_STAT_HEADER, PathStat};
use crate::applets::docker::queries::query_escape;
use crate::http::Headers;
use crate::tarball::Tarballer;
use std::ffi::CString;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;

struct Options {
    follow_link: bool,
    copy_uid_gid: bool,
    quiet: bool,
}

/// docker/cli's `splitCpArg`: `CONTAINER:PATH`, unless the argument is
/// an absolute path or starts with `.` before its `:`.
fn split_arg(arg: &str) -> (&str, &str) {
    if arg.starts_with('/') {
        return ("", arg);
    }
    match arg.split_once(':') {
        Some((container, path)) if !container.starts_with('.') => (container, path),
        _ => ("", arg),
    }
}

pub fn cp(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let (source, dest) = (&parsed.args[0], &parsed.args[1]);
    if source.is_empty() {
        return Err(Failure::new(1, "source can not be empty"));
    }
    if dest.is_empty() {
        return Err(Failure::new(1, "destination can not be empty"));
    }
    let options = Options {
        follow_link: parsed.is_true("follow-link"),
        copy_uid_gid: parsed.is_true("archive"),
        // As the CLI: no summary unless stdout is a terminal.
        quiet: parsed.is_true("quiet") || !super::stdout_is_terminal(),
    };
    let (source_container, source_path) = split_arg(source);
    let (dest_container, dest_path) = split_arg(dest);
    match (source_container.is_empty(), dest_container.is_empty()) {
        (false, true) => copy_from(session, source_container, source_path, dest_path, &options),
        (true, false) => copy_to(session, dest_container, source_path, dest_path, &options),
        (false, false) => Err(Failure::new(
            1,
            "copying between containers is not supported",
        )),
        (true, true) => Err(Failure::new(
            1,
            "must specify at least one container source",
        )),
    }
}

fn archive_path(container: &str, path: &str) -> String {
    format!(
        "/containers/{}/archive?path={}",
        query_escape(container),
        query_escape(path)
    )
}

/// HEAD's stat of a container path; None when it cannot be had.
fn stat(session: &mut Session, container: &str, path: &str) -> Option<PathStat> {
    let reply = session
        .client
        .send("HEAD", &archive_path(container, path), &Headers::new(), &[])
        .ok()?;
    if reply.status >= 400 {
        return None;
    }
    PathStat::from_header_value(reply.headers.get(PATH_STAT_HEADER)?)
}

/// A symlink's target as a path to ask for: relative ones from the
/// link's directory.
fn link_target_path(link_path: &str, stat: &PathStat) -> String {
    if stat.link_target.starts_with('/') {
        stat.link_target.clone()
    } else {
        join(&split_dir_entry(link_path).0, &stat.link_target)
    }
}

/// Counts what passes through, for the summary line.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count += read as u64;
        Ok(read)
    }
}

fn summary(options: &Options, copied: u64, dest: &str) {
    if !options.quiet {
        eprintln!(
            "Successfully copied {} to {dest}",
            crate::gofmt::size::human_size_with_precision(copied as f64, 3)
        );
    }
}

fn copy_from(
    session: &mut Session,
    container: &str,
    source: &str,
    dest: &str,
    options: &Options,
) -> Result<(), Failure> {
    let dest = if dest == "-" {
        dest.to_string()
    } else {
        resolve_local(dest)
    };
    validate_output_path(&dest)?;
    let mut source = source.to_string();
    let mut rebase = String::new();
    if options.follow_link
        && let Some(found) = stat(session, container, &source)
        && found.is_symlink()
    {
        let target = link_target_path(&source, &found);
        (source, rebase) = rebase_name(&source, &target);
    }
    let mut response = session.client.stream(
        "GET",
        &archive_path(container, &source),
        &Headers::new(),
        None,
    )?;
    if dest == "-" {
        let mut stdout = io::stdout().lock();
        io::copy(&mut response.body, &mut stdout)
            .and_then(|_| stdout.flush())
            .map_err(|e| Failure::new(1, e.to_string()))?;
        return Ok(());
    }
    let found = response
        .headers
        .get(PATH_STAT_HEADER)
        .and_then(PathStat::from_header_value)
        .unwrap_or_default();
    let source_info = CopyInfo {
        path: source.clone(),
        exists: true,
        is_dir: found.is_dir(),
        rebase_name: rebase.clone(),
    };
    let mut rebases = Vec::new();
    if !rebase.is_empty() {
        rebases.push((split_dir_entry(&source).1, rebase));
    }
    let dest_info = destination_info(&dest)?;
    let prepared = prepare_copy(&source_info, &dest_info)?;
    rebases.extend(prepared.rebase);
    let mut counted = Counting {
        inner: &mut response.body,
        count: 0,
    };
    extract(&mut counted, &prepared.dir, &rebases)?;
    // The archive's end blocks count, as the CLI reads them all.
    let _ = io::copy(&mut counted, &mut io::sink());
    summary(options, counted.count, &dest);
    Ok(())
}

/// What the destination is in the container, its symlink followed; a
/// missing one may still be made by the extraction into its parent.
fn destination_in_container(
    session: &mut Session,
    container: &str,
    dest: &str,
) -> Result<CopyInfo, Failure> {
    let mut info = CopyInfo {
        path: dest.to_string(),
        ..CopyInfo::default()
    };
    let Some(mut found) = stat(session, container, dest) else {
        return Ok(info);
    };
    if found.is_symlink() {
        info.path = link_target_path(dest, &found);
        match stat(session, container, &info.path) {
            Some(target) => found = target,
            None => return Ok(info),
        }
    }
    if !found.is_dir() && !found.is_regular() {
        return Err(Failure::new(
            1,
            format!("destination \"{container}:{dest}\" must be a directory or a regular file"),
        ));
    }
    info.exists = true;
    info.is_dir = found.is_dir();
    Ok(info)
}

fn copy_to(
    session: &mut Session,
    container: &str,
    source: &str,
    dest: &str,
    options: &Options,
) -> Result<(), Failure> {
    let source = if source == "-" {
        source.to_string()
    } else {
        resolve_local(source)
    };
    let dest_info = destination_in_container(session, container, dest)?;
    let mut query = archive_path(container, "");
    query.truncate(query.len() - "path=".len());
    let flags = |dir: &str| {
        let mut path = format!(
            "{query}path={}&noOverwriteDirNonDir=true",
            query_escape(dir)
        );
        if options.copy_uid_gid {
            path.push_str("&copyUIDGID=true");
        }
        path
    };
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/x-tar");
    if source == "-" {
        if !dest_info.is_dir {
            return Err(Failure::new(
                1,
                format!("destination \"{container}:{dest}\" must be a directory"),
            ));
        }
        let mut stdin = io::stdin().lock();
        let mut response =
            session
                .client
                .stream("PUT", &flags(&dest_info.path), &headers, Some(&mut stdin))?;
        let _ = io::copy(&mut response.body, &mut io::sink());
        summary(options, 0, &format!("{container}:{}", dest_info.path));
        return Ok(());
    }
    let source_info = source_info(&source, options.follow_link)?;
    let prepared = prepare_copy(&source_info, &dest_info)?;
    let top = top_entry_name(&source_info, &prepared);
    let copied = upload_tree(
        session,
        &source_info.path,
        top,
        &flags(&prepared.dir),
        &headers,
    )?;
    summary(options, copied, &format!("{container}:{}", dest_info.path));
    Ok(())
}

/// The name the source's own entry takes in the archive: its base name,
/// renamed by `-L`'s rebase and then by the preparation for the
/// destination.
fn top_entry_name(source: &CopyInfo, prepared: &Prepared) -> String {
    let mut top = split_dir_entry(&source.path).1;
    if !source.rebase_name.is_empty() {
        top = source.rebase_name.clone();
    }
    if let Some((old, new)) = &prepared.rebase
        && *old == top
    {
        top = new.clone();
    }
    top
}

/// PUTs a tar of the local `source` (made by a thread as it is sent)
/// and returns the bytes sent.
fn upload_tree(
    session: &mut Session,
    source: &str,
    top: String,
    path: &str,
    headers: &Headers,
) -> Result<u64, Failure> {
    let (source_dir, source_base) = split_dir_entry(source);
    let (reader, writer) = io::pipe().map_err(|e| Failure::new(1, e.to_string()))?;
    let producer = std::thread::spawn(move || -> io::Result<()> {
        let dir = std::fs::File::open(&source_dir)?;
        let name = if source_base == "." {
            CString::default()
        } else {
            CString::new(source_base).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?
        };
        let mut tarball = Tarballer::new(io::BufWriter::with_capacity(64 << 10, writer));
        tarball.add(dir.as_fd(), &name, top.as_bytes())?;
        tarball.finish()?.flush()
    });
    let mut counted = Counting {
        inner: reader,
        count: 0,
    };
    let sent = session
        .client
        .stream("PUT", path, headers, Some(&mut counted))
        .map(|mut response| {
            let _ = io::copy(&mut response.body, &mut io::sink());
        });
    // A refused upload closes the pipe's end: the producer stops (EPIPE).
    drop(counted.inner);
    let produced = producer.join().unwrap_or(Ok(()));
    sent?;
    produced.map_err(|e| Failure::new(1, e.to_string()))?;
    Ok(counted.count)
}
