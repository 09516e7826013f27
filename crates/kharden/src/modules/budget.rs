//! One memory budget for every module read at once, however many threads read them.
//!
//! Decompressing a module needs a buffer as large as the module; a hostile tree can hold
//! bombs (80 KB of zstd that claim gigabytes). A per-module cap alone lets memory grow with the
//! number of jobs, that is with the number of cores. Here each module first reserves what it
//! will hold from one shared budget, waiting (in arrival order) until the budget has room; a
//! reservation larger than the whole budget is cut to it, so such a module runs alone.

use std::sync::{Condvar, Mutex};

/// The budget of a command's module reads: 1 GiB in all.
pub const TOTAL: u64 = 1 << 30;

#[derive(Debug)]
pub struct Budget {
    total: u64,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    used: u64,
    /// Tickets: arrivals are served in order, so a large reservation is not starved by a
    /// stream of small ones.
    next: u64,
    serving: u64,
    /// Largest `used` seen (for tests and benchmarks).
    peak: u64,
}

impl Budget {
    pub fn new(total: u64) -> Budget {
        Budget {
            total: total.max(1),
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    /// Wait until `bytes` (at most the whole budget) are free and take them. The caller must
    /// not hold another reservation while it waits (it could wait for itself).
    pub fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let want = bytes.min(self.total);
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = s.next;
        s.next += 1;
        while s.serving != ticket || s.used + want > self.total {
            s = self.freed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        s.serving += 1;
        s.used += want;
        s.peak = s.peak.max(s.used);
        drop(s);
        // The next ticket may fit too.
        self.freed.notify_all();
        Reservation {
            budget: self,
            bytes: want,
        }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The most ever reserved at once.
    pub fn peak(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).peak
    }

    fn release(&self, bytes: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.used -= bytes;
        drop(s);
        self.freed.notify_all();
    }
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new(TOTAL)
    }
}

/// Bytes taken from a budget, given back when dropped.
#[derive(Debug)]
pub struct Reservation<'b> {
    budget: &'b Budget,
    bytes: u64,
}

impl Reservation<'_> {
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Grow to `bytes` if the budget has room now and nobody is waiting; never waits.
    pub fn try_grow(&mut self, bytes: u64) -> bool {
        if bytes <= self.bytes {
            return true;
        }
        let extra = bytes - self.bytes;
        let mut s = self.budget.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.serving != s.next || s.used + extra > self.budget.total {
            return false;
        }
        s.used += extra;
        s.peak = s.peak.max(s.used);
        self.bytes = bytes;
        true
    }

    /// Give back what is above `bytes`.
    pub fn shrink(&mut self, bytes: u64) {
        if bytes < self.bytes {
            self.budget.release(self.bytes - bytes);
            self.bytes = bytes;
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_exceed_the_budget_across_threads() {
        let b = Budget::new(100);
        std::thread::scope(|s| {
            for i in 0..16u64 {
                let b = &b;
                s.spawn(move || {
                    for j in 0..50u64 {
                        let mut r = b.reserve(10 + (i * 7 + j) % 60);
                        let _ = r.try_grow(r.bytes() + 30);
                        r.shrink(5);
                    }
                });
            }
        });
        assert!(b.peak() <= 100, "peak {}", b.peak());
        assert_eq!(b.state.lock().unwrap().used, 0);
        // Larger than the whole budget: cut to it, and served.
        assert_eq!(b.reserve(1000).bytes(), 100);
    }
}
