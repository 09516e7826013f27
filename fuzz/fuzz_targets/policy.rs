//! Policy files: a built-in style rule file (`parse_rules`) and a user policy applied on top of
//! the default profile (`user::extends`, `user::apply`).
#![no_main]
use std::sync::OnceLock;

use kharden::policy::{self, Profile};
use libfuzzer_sys::fuzz_target;

fn base() -> &'static Profile {
    static BASE: OnceLock<Profile> = OnceLock::new();
    BASE.get_or_init(|| policy::builtin::load("baseline").expect("built-in profile"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = policy::parse_rules("fuzz.toml", text);
    let _ = policy::user::extends(text);
    let mut profile = base().clone();
    let _ = policy::user::apply("fuzz.toml", text, &mut profile);
});
