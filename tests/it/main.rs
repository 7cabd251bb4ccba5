//! Integration tests through the real `tidings` binary, over real HTTP on
//! loopback and a real SQLite file or PostgreSQL database, and the store's
//! behaviour suite run on both backends. One test binary, so the crate links
//! once.

mod adaptive;
mod archive;
mod articles;
mod cli;
mod common;
mod core;
mod dialects;
mod discovery;
mod extract;
mod harden;
mod health;
mod hostile;
mod html;
mod index;
mod interop;
mod merge;
mod ops;
mod paused;
mod pg;
mod polite;
mod provenance;
mod push;
mod rules;
mod scale;
mod service;
mod store;
mod websub;
