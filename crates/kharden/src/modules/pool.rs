//! The worker pool of module commands: rayon, with a thread count the user chose. Results come
//! back in input order; a worker that panics takes the command down with its panic (its share
//! of the results never vanishes silently).

/// Workers for `-j N`: the number asked for, else one per CPU.
pub fn jobs(requested: Option<usize>) -> usize {
    requested
        .filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[derive(Debug)]
pub struct Pool {
    pool: rayon::ThreadPool,
}

impl Pool {
    pub fn new(jobs: usize) -> std::io::Result<Pool> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .thread_name(|i| format!("kharden-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Pool { pool })
    }

    /// `f` over `items` on the pool's threads, results in input order.
    pub fn map<T: Sync, R: Send>(&self, items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
        use rayon::prelude::*;
        self.pool.install(|| items.par_iter().map(f).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_panics_propagate() {
        let pool = Pool::new(4).unwrap();
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(
            pool.map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.map(&items, |&i| if i == 500 { panic!("worker") } else { i })
        }));
        assert!(caught.is_err(), "a worker's panic was swallowed");
    }
}
