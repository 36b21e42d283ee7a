//! Giving back the shim's share of the binary's code once the container
//! runs. The shim launches the container in-process, which touches
//! megabytes of launcher code it never runs again; from then on it only
//! copies output and answers requests. Unmapping the clean, file-backed
//! pages lets its resident set shrink to what that loop touches again
//! (the pages stay in the page cache, shared with the daemon).

/// Drops the resident pages of every read-only, file-backed mapping that
/// holds no private (copied-on-write) page, so a later fault reads back
/// exactly the same bytes from the file; and returns the heap the launch
/// freed to the kernel.
pub fn release_startup_code() {
    // SAFETY: malloc_trim only releases free heap memory.
    unsafe { libc::malloc_trim(0) };
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut candidate: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else {
            continue;
        };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            let perms = fields.next().unwrap_or("");
            let inode = fields.nth(2).unwrap_or("0");
            let read_only_file = (perms == "r-xp" || perms == "r--p") && inode != "0";
            candidate = read_only_file.then_some((start, end - start));
            continue;
        }
        if first == "Anonymous:"
            && let Some((start, length)) = candidate.take()
            && fields.next() == Some("0")
        {
            // SAFETY: the range is one of our own mappings, read-only and
            // backed by a file with no private page, so dropping its pages
            // loses nothing: the next access faults them in from the file.
            unsafe { libc::madvise(start as *mut libc::c_void, length, libc::MADV_DONTNEED) };
        }
    }
}
