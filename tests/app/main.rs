//! One integration-test binary: every test starts the real app on
//! 127.0.0.1:0 with its own temporary data dir and talks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fakes;
mod helpers;
mod hostile;

mod admin;
mod assets;
mod booking_pages;
mod bookings;
mod cli;
mod config;
mod database;
mod errors;
mod export;
mod leads;
mod notifications;
mod openapi;
mod pages;
mod server;
mod setup;
mod two_factor;
mod users;
mod vehicles;
