//! Daytona: a self-hosted booking and vehicle-stock appliance for a car
//! dealership and service workshop.
//!
//! Shared pieces: `config`, `db`, `web`, `error`, `clock`. Domains: `auth`
//! (staff, sessions, setup), `bookings`, `vehicles`, `leads`, `notifications`,
//! `ops` (health, settings).
//! `app` assembles them; `cli` drives them.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bookings;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod gateways;
pub mod ids;
pub mod leads;
pub mod notifications;
pub mod ops;
pub mod phone;
pub mod roles;
pub mod site;
pub mod state;
pub mod tally;
pub mod text;
pub mod upload;
pub mod vehicles;
pub mod web;
