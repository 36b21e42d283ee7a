//! Owns a listening socket's connections between requests. One thread per
//! listener waits (epoll) on the listener and on every connection that has
//! not sent a complete request head, so an idle connection costs one
//! descriptor and a few dozen bytes instead of a thread. A complete head
//! starts a thread for that request alone (a hijacked or streaming request
//! keeps it as long as it runs, so `attach`, `logs -f` and `events` are
//! never queued behind each other); a kept-alive connection comes back here.
//!
//! What a client can no longer do by opening connections and not using them:
//! - hold one open without a complete head for longer than
//!   [`HEAD_DEADLINE`], counted from accept, or from the first byte of the
//!   next head on a kept-alive connection;
//! - push the daemon past [`Limits::max_connections`]: a new connection over
//!   the cap closes a kept-alive idle one (the longest idle first), else the
//!   oldest one still sending its head, else (every connection is busy in a
//!   request) the new one is closed at once.

use super::server::{AfterRequest, ConnectionReader, Handler, serve_request};
use super::wire::{self, Headers};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// How long a connection may take to send a complete request head. dockerd
/// sets no limit (Go's ReadHeaderTimeout is off by default), so a client
/// that sends half a head holds a goroutine forever. Engine API heads are a
/// few hundred bytes written at once by a local client, so any deadline is
/// generous; 20 s is Apache's mod_reqtimeout default for headers and still
/// lets a person type a request into `socat` by hand.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(20);
/// Connections allowed however high the descriptor limit goes: each costs
/// kernel socket memory even when idle.
const MAX_CONNECTIONS_CEILING: usize = 32 * 1024;
/// Descriptors kept back from connections for the store, layers, shim
/// sockets and the second descriptor of every connection in a request.
const RESERVED_DESCRIPTORS: usize = 1024;
/// A request thread's stack. Handlers decode JSON (serde_json stops at 128
/// levels), build OCI specs, unpack tar and gzip layers and talk to shims:
/// the daemon's integration tests pass on 256 KiB in a debug build (which
/// takes more stack than release) and overflow on 128 KiB, so this is twice
/// the most seen. Pages are only committed when touched, and only requests
/// in progress have a thread at all.
const REQUEST_STACK_BYTES: usize = 512 * 1024;
/// Bytes read from a connection still sending its head, per read call.
const HEAD_READ_BYTES: usize = 4096;
/// Connections accepted per wake-up, so the others are served in between.
const ACCEPTS_PER_WAKE: usize = 64;
const EVENTS_PER_WAIT: usize = 256;
/// How long to stop accepting when out of descriptors with nothing to shed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

const LISTENER: u64 = 0;
const STOP: u64 = 1;
const RETURNS: u64 = 2;
const FIRST_CONNECTION: u64 = 3;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub head_deadline: Duration,
}

impl Limits {
    /// The cap from this process's descriptor limit (one per waiting
    /// connection), with [`HEAD_DEADLINE`].
    pub fn for_this_process() -> Limits {
        let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .map_or(1024, |(soft, _)| {
                usize::try_from(soft).unwrap_or(usize::MAX)
            });
        let by_descriptors = soft.saturating_sub(RESERVED_DESCRIPTORS).max(soft / 2);
        Limits {
            max_connections: by_descriptors.clamp(16, MAX_CONNECTIONS_CEILING),
            head_deadline: HEAD_DEADLINE,
        }
    }
}

/// Accepts and serves connections until `stop` becomes readable (a
/// signalfd, an eventfd or a pipe), with the limits of this process.
pub fn serve(
    listener: &UnixListener,
    handler: Arc<dyn Handler>,
    default_headers: Arc<Headers>,
    stop: BorrowedFd<'_>,
) -> io::Result<()> {
    serve_with(
        listener,
        handler,
        default_headers,
        stop,
        Limits::for_this_process(),
    )
}

/// [`serve`] with explicit limits.
pub fn serve_with(
    listener: &UnixListener,
    handler: Arc<dyn Handler>,
    default_headers: Arc<Headers>,
    stop: BorrowedFd<'_>,
    limits: Limits,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    let (wake_reader, wake_writer) = UnixStream::pair()?;
    wake_reader.set_nonblocking(true)?;
    wake_writer.set_nonblocking(true)?;
    epoll.add(
        listener.as_fd(),
        EpollEvent::new(EpollFlags::EPOLLIN, LISTENER),
    )?;
    epoll.add(stop, EpollEvent::new(EpollFlags::EPOLLIN, STOP))?;
    epoll.add(
        wake_reader.as_fd(),
        EpollEvent::new(EpollFlags::EPOLLIN, RETURNS),
    )?;
    let (returns_sender, returns) = channel();
    let mut acceptor = Acceptor {
        listener,
        epoll,
        limits,
        waiting: HashMap::new(),
        next_token: FIRST_CONNECTION,
        deadlines: VecDeque::new(),
        idle_order: VecDeque::new(),
        head_order: VecDeque::new(),
        busy: Arc::new(AtomicUsize::new(0)),
        returns,
        wake_reader,
        workers: Workers {
            handler,
            default_headers,
            returns: returns_sender,
            wake: Arc::new(wake_writer),
        },
        accept_paused_until: None,
    };
    acceptor.run()
}

/// Where a waiting connection is: between requests with nothing sent yet,
/// or on its way through a head (which has a deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Idle,
    Head { deadline: Instant },
}

struct Waiting {
    stream: UnixStream,
    bytes: Vec<u8>,
    /// How much of `bytes` was searched for the end of the head.
    scanned: usize,
    stage: Stage,
}

/// Counts a connection that is in a request, until dropped.
struct BusySlot(Arc<AtomicUsize>);

impl BusySlot {
    fn claim(count: &Arc<AtomicUsize>) -> BusySlot {
        count.fetch_add(1, Ordering::SeqCst);
        BusySlot(Arc::clone(count))
    }
}

impl Drop for BusySlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A kept-alive connection on its way back from its request thread; it is
/// counted as busy until the acceptor has it again.
struct Returned {
    reader: ConnectionReader,
    _slot: BusySlot,
}

/// What request threads need.
#[derive(Clone)]
struct Workers {
    handler: Arc<dyn Handler>,
    default_headers: Arc<Headers>,
    returns: Sender<Returned>,
    wake: Arc<UnixStream>,
}

impl Workers {
    /// Serves one request on a thread of its own; a kept-alive connection
    /// goes back to the acceptor.
    fn start(&self, reader: ConnectionReader, slot: BusySlot) {
        let workers = self.clone();
        let spawned = std::thread::Builder::new()
            .name("request".into())
            .stack_size(REQUEST_STACK_BYTES)
            .spawn(move || {
                let after =
                    serve_request(reader, workers.handler.as_ref(), &workers.default_headers);
                if let AfterRequest::KeepAlive(reader) = after {
                    let returned = Returned {
                        reader,
                        _slot: slot,
                    };
                    if workers.returns.send(returned).is_ok() {
                        // A full wake socket already has a wake-up pending.
                        let _ = (&*workers.wake).write(&[1]);
                    }
                }
            });
        if let Err(e) = spawned {
            // The closure, and with it the connection, is dropped: closed.
            eprintln!("dockerd: cannot start a request thread: {e}");
        }
    }
}

struct Acceptor<'l> {
    listener: &'l UnixListener,
    epoll: Epoll,
    limits: Limits,
    waiting: HashMap<u64, Waiting>,
    next_token: u64,
    /// Head deadlines in the order they were set, which is their order
    /// too; entries of connections that moved on are skipped when met.
    deadlines: VecDeque<(Instant, u64)>,
    /// Shedding order: idle kept-alive connections, then ones in a head,
    /// each oldest first; stale entries are skipped the same way.
    idle_order: VecDeque<u64>,
    head_order: VecDeque<u64>,
    /// Connections in a request (or on their way back from one).
    busy: Arc<AtomicUsize>,
    returns: Receiver<Returned>,
    wake_reader: UnixStream,
    workers: Workers,
    accept_paused_until: Option<Instant>,
}

impl Acceptor<'_> {
    fn run(&mut self) -> io::Result<()> {
        let mut events = vec![EpollEvent::empty(); EVENTS_PER_WAIT];
        loop {
            let timeout = self.next_timer(Instant::now());
            let timeout = timeout.map_or(EpollTimeout::NONE, |wait| {
                // Rounded up, so the deadline has passed when we wake.
                let millis = wait.as_nanos().div_ceil(1_000_000);
                EpollTimeout::try_from(millis.min(i32::MAX as u128) as i32)
                    .unwrap_or(EpollTimeout::MAX)
            });
            let ready = match self.epoll.wait(&mut events, timeout) {
                Ok(ready) => ready,
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno.into()),
            };
            for event in &events[..ready] {
                match event.data() {
                    STOP => return Ok(()),
                    LISTENER => self.accept_some(),
                    RETURNS => self.take_returns(),
                    token => self.on_readable(token),
                }
            }
            self.tidy();
        }
    }

    fn connections(&self) -> usize {
        self.waiting.len() + self.busy.load(Ordering::SeqCst)
    }

    /// Closes expired heads, resumes a paused listener, and says how long
    /// until the next of either.
    fn next_timer(&mut self, now: Instant) -> Option<Duration> {
        if self.accept_paused_until.is_some_and(|until| until <= now) {
            self.accept_paused_until = None;
            let listening = EpollEvent::new(EpollFlags::EPOLLIN, LISTENER);
            let _ = self.epoll.add(self.listener.as_fd(), listening);
        }
        let mut next = self.accept_paused_until.map(|until| until - now);
        while let Some(&(deadline, token)) = self.deadlines.front() {
            let current = self
                .waiting
                .get(&token)
                .is_some_and(|waiting| waiting.stage == Stage::Head { deadline });
            if current && deadline > now {
                let wait = deadline - now;
                next = Some(next.map_or(wait, |other| other.min(wait)));
                break;
            }
            self.deadlines.pop_front();
            if current {
                // No answer: a client this slow is not reading one either.
                self.close(token);
            }
        }
        next
    }

    fn accept_some(&mut self) {
        for _ in 0..ACCEPTS_PER_WAKE {
            match self.listener.accept() {
                Ok((stream, _)) => self.admit_new(stream),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A client that gave up before we took its connection.
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    if !self.shed_one() {
                        self.pause_accepting(&e);
                        return;
                    }
                }
                Err(e) => {
                    self.pause_accepting(&e);
                    return;
                }
            }
        }
    }

    /// Stops listening for a moment: the listener stays readable while the
    /// reason it cannot accept lasts.
    fn pause_accepting(&mut self, error: &io::Error) {
        eprintln!("dockerd: accept: {error}");
        let _ = self.epoll.delete(self.listener.as_fd());
        self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
    }

    fn admit_new(&mut self, stream: UnixStream) {
        if self.connections() >= self.limits.max_connections && !self.shed_one() {
            return; // Dropping it closes it: every connection is busy.
        }
        self.admit(stream, Vec::new(), true);
    }

    /// Starts waiting for a head on `stream`; `bytes` were read already.
    fn admit(&mut self, stream: UnixStream, bytes: Vec<u8>, fresh: bool) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let token = self.next_token;
        self.next_token += 1;
        let watch = EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP, token);
        if self.epoll.add(stream.as_fd(), watch).is_err() {
            return;
        }
        let in_head = fresh || !bytes.is_empty();
        self.waiting.insert(
            token,
            Waiting {
                stream,
                bytes,
                scanned: 0,
                stage: Stage::Idle,
            },
        );
        if in_head {
            self.start_head(token);
            self.check_head(token, false);
        } else {
            self.idle_order.push_back(token);
        }
    }

    fn start_head(&mut self, token: u64) {
        let deadline = Instant::now() + self.limits.head_deadline;
        if let Some(waiting) = self.waiting.get_mut(&token) {
            waiting.stage = Stage::Head { deadline };
            self.deadlines.push_back((deadline, token));
            self.head_order.push_back(token);
        }
    }

    /// Kept-alive connections back from their request threads.
    fn take_returns(&mut self) {
        let mut drain = [0u8; 64];
        while matches!((&self.wake_reader).read(&mut drain), Ok(n) if n > 0) {}
        while let Ok(returned) = self.returns.try_recv() {
            let Returned { reader, _slot } = returned;
            let (stream, rest) = reader.into_parts();
            self.admit(stream, rest, false);
        }
    }

    fn on_readable(&mut self, token: u64) {
        let Some(waiting) = self.waiting.get_mut(&token) else {
            return;
        };
        let was_idle = waiting.stage == Stage::Idle;
        let Ok(ended) = read_available(waiting) else {
            self.close(token);
            return;
        };
        if was_idle && !self.waiting[&token].bytes.is_empty() {
            self.start_head(token);
        }
        self.check_head(token, ended);
    }

    /// Hands the connection to a request thread once its head is complete,
    /// too large (answered 431 there) or cut short (400 there).
    fn check_head(&mut self, token: u64, ended: bool) {
        let Some(waiting) = self.waiting.get_mut(&token) else {
            return;
        };
        // Blank lines before a head are skipped (RFC 9112 section 2.2).
        let blank = waiting
            .bytes
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        if blank > 0 {
            waiting.bytes.drain(..blank);
            waiting.scanned = waiting.scanned.saturating_sub(blank);
        }
        let complete = wire::head_end(&waiting.bytes, waiting.scanned).is_some();
        waiting.scanned = waiting.bytes.len();
        let too_large = waiting.bytes.len() > wire::MAX_HEAD_BYTES;
        if complete || too_large || (ended && !waiting.bytes.is_empty()) {
            self.dispatch(token);
        } else if ended {
            self.close(token);
        }
    }

    fn dispatch(&mut self, token: u64) {
        let Some(waiting) = self.waiting.remove(&token) else {
            return;
        };
        let _ = self.epoll.delete(waiting.stream.as_fd());
        if waiting.stream.set_nonblocking(false).is_err() {
            return;
        }
        let slot = BusySlot::claim(&self.busy);
        let reader = ConnectionReader::new(waiting.stream, waiting.bytes);
        self.workers.start(reader, slot);
    }

    fn close(&mut self, token: u64) {
        if let Some(waiting) = self.waiting.remove(&token) {
            let _ = self.epoll.delete(waiting.stream.as_fd());
        }
    }

    /// Closes one waiting connection to make room: the longest idle one,
    /// else the oldest still in its head. False when all are busy.
    fn shed_one(&mut self) -> bool {
        while let Some(token) = self.idle_order.pop_front() {
            if self
                .waiting
                .get(&token)
                .is_some_and(|waiting| waiting.stage == Stage::Idle)
            {
                self.close(token);
                return true;
            }
        }
        while let Some(token) = self.head_order.pop_front() {
            if self.waiting.contains_key(&token) {
                self.close(token);
                return true;
            }
        }
        false
    }

    /// Drops stale queue entries and gives memory back after a crowd of
    /// connections has gone, so a burst leaves no lasting footprint.
    fn tidy(&mut self) {
        let live = self.waiting.len();
        let waiting = &self.waiting;
        let stale = |queue_len: usize| queue_len > 2 * live + 64;
        if stale(self.idle_order.len()) {
            self.idle_order.retain(|token| {
                waiting
                    .get(token)
                    .is_some_and(|waiting| waiting.stage == Stage::Idle)
            });
        }
        if stale(self.head_order.len()) {
            self.head_order.retain(|token| waiting.contains_key(token));
        }
        if stale(self.deadlines.len()) {
            self.deadlines.retain(|(deadline, token)| {
                waiting.get(token).is_some_and(|waiting| {
                    waiting.stage
                        == Stage::Head {
                            deadline: *deadline,
                        }
                })
            });
        }
        if self.waiting.capacity() > 4 * live + 256 {
            self.waiting.shrink_to(2 * live);
            self.idle_order.shrink_to(2 * live);
            self.head_order.shrink_to(2 * live);
            self.deadlines.shrink_to(2 * live);
            give_back_free_memory();
        }
    }
}

/// Reads what `waiting` has sent, stopping at the end of a head or past the
/// size limit; whether the client ended its side.
fn read_available(waiting: &mut Waiting) -> io::Result<bool> {
    let mut chunk = [0u8; HEAD_READ_BYTES];
    loop {
        match (&waiting.stream).read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                waiting.bytes.extend_from_slice(&chunk[..n]);
                if wire::head_end(&waiting.bytes, waiting.scanned).is_some()
                    || waiting.bytes.len() > wire::MAX_HEAD_BYTES
                {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

/// Returns the allocator's free pages to the kernel. glibc keeps what a
/// crowd's bookkeeping freed in its arenas (above its trim threshold only
/// the top of a heap goes back by itself); this runs a few times per crowd.
fn give_back_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
