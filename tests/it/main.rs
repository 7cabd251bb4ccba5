//! Integration tests through the real `tidings` binary, over real HTTP on
//! loopback and a real SQLite file. One test binary, so the crate links once.

mod cli;
mod common;
mod core;
mod html;
