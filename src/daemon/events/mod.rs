//! The daemon's events: an in-memory log of the most recent ones (moby
//! keeps 256) and the live subscribers of `GET /events`. Publishing never
//! blocks: a subscriber whose queue is full loses the event, as moby's
//! publisher skips a listener that does not take it in time.

mod filter;
mod logging;
pub mod stream;

pub use filter::{EventFilter, parse_event_time};

use crate::api::events::{Actor, Message};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How many past events are kept for `since`/`until` queries.
pub const LOG_LIMIT: usize = 256;
/// How many events may wait for one slow subscriber before it loses some.
const SUBSCRIBER_QUEUE: usize = 1024;

struct Subscriber {
    id: u64,
    filter: EventFilter,
    sender: SyncSender<Arc<Message>>,
}

#[derive(Default)]
struct EventState {
    log: VecDeque<Arc<Message>>,
    subscribers: Vec<Subscriber>,
    next_subscriber: u64,
    closed: bool,
}

/// The event log and its subscribers; shared by every connection thread.
#[derive(Default)]
pub struct Events {
    state: Mutex<EventState>,
    /// Subscriptions not yet dropped, closed or not: the streams still
    /// writing.
    live: AtomicUsize,
}

/// A live feed of the events one filter selects. Dropping it unsubscribes.
pub struct Subscription<'a> {
    events: &'a Events,
    id: u64,
    pub receiver: Receiver<Arc<Message>>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        self.events
            .lock()
            .subscribers
            .retain(|subscriber| subscriber.id != self.id);
        self.events.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, EventState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a local event now and hands it to every subscriber whose
    /// filter takes it.
    pub fn publish(&self, kind: &str, action: &str, actor: Actor) {
        let now = crate::gofmt::time::now_nanos();
        self.publish_message(Message::local(kind, action, actor, now));
    }

    pub fn publish_message(&self, message: Message) {
        let message = Arc::new(message);
        let mut state = self.lock();
        if state.log.len() == LOG_LIMIT {
            state.log.pop_front();
        }
        state.log.push_back(Arc::clone(&message));
        state.subscribers.retain(|subscriber| {
            if !subscriber.filter.includes(&message) {
                return true;
            }
            match subscriber.sender.try_send(Arc::clone(&message)) {
                Ok(()) | Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// The logged events between `since` and `until` (nanoseconds since
    /// the epoch, inclusive) that `filter` takes, oldest first, and a
    /// subscription to the ones after them: taken under one lock, so no
    /// event is missed or sent twice. Without either bound nothing past
    /// is replayed, as in moby.
    pub fn subscribe(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        filter: EventFilter,
    ) -> (Vec<Arc<Message>>, Subscription<'_>) {
        let mut state = self.lock();
        let past = if since.is_none() && until.is_none() {
            Vec::new()
        } else {
            let since = since.unwrap_or(i64::MIN);
            let until = until.unwrap_or(i64::MAX);
            state
                .log
                .iter()
                .filter(|m| m.time_nano >= since && m.time_nano <= until && filter.includes(m))
                .cloned()
                .collect()
        };
        let (sender, receiver) = sync_channel(SUBSCRIBER_QUEUE);
        let id = state.next_subscriber;
        state.next_subscriber += 1;
        // After close the sender is dropped at once: the feed ends empty.
        if !state.closed {
            state.subscribers.push(Subscriber { id, filter, sender });
        }
        self.live.fetch_add(1, Ordering::SeqCst);
        let subscription = Subscription {
            events: self,
            id,
            receiver,
        };
        (past, subscription)
    }

    /// Ends every feed (daemon shutdown) and waits up to `grace` for the
    /// streams to finish their responses, so clients see a clean end.
    pub fn close(&self, grace: Duration) {
        {
            let mut state = self.lock();
            state.closed = true;
            state.subscribers.clear();
        }
        let deadline = Instant::now() + grace;
        while self.live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn subscriber_count(&self) -> usize {
        self.lock().subscribers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Filters;
    use crate::api::events::CONTAINER;
    use std::collections::BTreeMap;

    fn actor(id: &str) -> Actor {
        Actor {
            id: id.into(),
            attributes: BTreeMap::new(),
        }
    }

    fn at(events: &Events, nanos: i64, action: &str) {
        events.publish_message(Message::local(CONTAINER, action, actor("c1"), nanos));
    }

    fn actions(messages: &[Arc<Message>]) -> Vec<&str> {
        messages.iter().map(|m| m.action.as_str()).collect()
    }

    #[test]
    fn the_log_keeps_the_newest_events_only() {
        let events = Events::default();
        for n in 0..(LOG_LIMIT as i64 + 10) {
            at(&events, 1_000 + n, &format!("a{n}"));
        }
        let (past, _feed) = events.subscribe(Some(0), None, EventFilter::default());
        assert_eq!(past.len(), LOG_LIMIT);
        assert_eq!(past[0].action, "a10");
        assert_eq!(past[LOG_LIMIT - 1].action, format!("a{}", LOG_LIMIT + 9));
    }

    #[test]
    fn since_and_until_bound_the_replay_inclusively() {
        let events = Events::default();
        for (nanos, action) in [(10, "create"), (20, "start"), (30, "die"), (40, "destroy")] {
            at(&events, nanos, action);
        }
        let replay = |since, until| {
            actions(&events.subscribe(since, until, EventFilter::default()).0)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(replay(Some(20), Some(30)), ["start", "die"]);
        assert_eq!(replay(None, Some(15)), ["create"]);
        assert_eq!(replay(Some(35), None), ["destroy"]);
        assert!(replay(None, None).is_empty());
    }

    #[test]
    fn subscribers_get_what_their_filter_takes_and_leave_on_drop() {
        let events = Events::default();
        let dies = EventFilter::new(Filters::parse(r#"{"event":["die"]}"#).unwrap());
        let (_, feed) = events.subscribe(None, None, dies);
        let (_, all) = events.subscribe(None, None, EventFilter::default());
        assert_eq!(events.subscriber_count(), 2);
        at(&events, 1, "start");
        at(&events, 2, "die");
        assert_eq!(feed.receiver.try_recv().unwrap().action, "die");
        assert!(feed.receiver.try_recv().is_err());
        assert_eq!(all.receiver.try_iter().count(), 2);
        drop(feed);
        assert_eq!(events.subscriber_count(), 1);
        events.close(Duration::ZERO);
        assert!(matches!(
            all.receiver.recv(),
            Err(std::sync::mpsc::RecvError)
        ));
        let (_, late) = events.subscribe(None, None, EventFilter::default());
        assert!(late.receiver.recv().is_err());
    }
}
