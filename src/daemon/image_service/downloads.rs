//! Layer downloads in flight, so that pulls running at once fetch each
//! layer once: the first pull to need a layer claims it, the others wait
//! for that claim to go and then find the layer stored (or, when the
//! first pull failed, claim and fetch it themselves).

use crate::image::Digest;
use std::collections::HashSet;
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
pub struct Downloads {
    active: Mutex<HashSet<Digest>>,
    finished: Condvar,
}

/// The right to fetch and store one layer, given back on drop.
pub struct DownloadClaim<'a> {
    downloads: &'a Downloads,
    diff_id: Digest,
}

impl Downloads {
    fn active(&self) -> MutexGuard<'_, HashSet<Digest>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims the layer `diff_id` unless another pull fetches it now.
    pub fn try_claim(&self, diff_id: &Digest) -> Option<DownloadClaim<'_>> {
        self.active()
            .insert(diff_id.clone())
            .then(|| self.claim_of(diff_id))
    }

    /// Waits until no other pull fetches `diff_id`, then claims it. A
    /// pull holds one claim at a time, so waiting cannot deadlock.
    pub fn claim(&self, diff_id: &Digest) -> DownloadClaim<'_> {
        let mut active = self.active();
        while active.contains(diff_id) {
            active = self
                .finished
                .wait(active)
                .unwrap_or_else(|p| p.into_inner());
        }
        active.insert(diff_id.clone());
        self.claim_of(diff_id)
    }

    fn claim_of(&self, diff_id: &Digest) -> DownloadClaim<'_> {
        DownloadClaim {
            downloads: self,
            diff_id: diff_id.clone(),
        }
    }
}

impl Drop for DownloadClaim<'_> {
    fn drop(&mut self) {
        self.downloads.active().remove(&self.diff_id);
        self.downloads.finished.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_claim_per_layer_at_a_time_and_waiters_follow() {
        let downloads = Arc::new(Downloads::default());
        let layer = Digest::of_bytes(b"layer");
        let other = Digest::of_bytes(b"other");
        let first = downloads.try_claim(&layer).expect("free");
        assert!(downloads.try_claim(&layer).is_none());
        assert!(
            downloads.try_claim(&other).is_some(),
            "another layer is free"
        );
        let inside = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let (downloads, layer, inside) = (downloads.clone(), layer.clone(), inside.clone());
                std::thread::spawn(move || {
                    let _claim = downloads.claim(&layer);
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "one holder at a time"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            inside.load(Ordering::SeqCst),
            0,
            "waiters wait for the first"
        );
        drop(first);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert!(downloads.try_claim(&layer).is_some());
    }
}
