// SPDX-License-Identifier: GPL-2.0

//! rct's pure-Rust logic, shared with the host crate `rct-proto`.
//!
//! Nothing here touches kernel APIs: every module builds on the host too, so
//! parsing, state machines and formatting are covered by `cargo test`. The
//! host crate root is `host.rs` beside this file and must list the same
//! modules.
//!
//! C reference: none.

pub mod ctnl;
pub mod ctnl_exp;
pub mod hash;
pub mod line;
pub mod nlattr;
pub mod parse;
pub mod sizing;
pub mod stat;
pub mod tcp;
pub mod track;
pub mod tuple;
