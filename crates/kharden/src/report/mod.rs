//! Emitters: findings → bytes. No decisions here, only rendering.

pub mod human;
pub mod json;
pub mod modsign;
pub mod rules;
pub mod term;
