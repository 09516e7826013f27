//! Linux kernel module signatures (work in progress: see issue 3).
