//! Daytona: a self-hosted booking and vehicle-stock appliance for a car
//! dealership and service workshop.
//!
//! Shared pieces: `config`, `db`, `web`, `error`, `clock`. Domains: `auth`
//! (staff, sessions, setup), `bookings`, `ops` (health, later backups).
//! `app` assembles them; `cli` drives them.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod notifications;
pub mod ops;
pub mod phone;
pub mod upload;
pub mod web;
