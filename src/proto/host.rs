// SPDX-License-Identifier: GPL-2.0

//! Host build of rct's pure-Rust logic (`rct-proto`).
//!
//! The modules under `src/proto/` use only `core`, so the same files are
//! compiled into `rct.ko` (through `src/proto/mod.rs`) and into this host
//! library, where `cargo test` and `cargo fuzz` exercise them.
//!
//! C reference: none (this file only wires the modules for the host).

#![cfg_attr(not(test), no_std)]

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
