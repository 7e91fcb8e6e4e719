//! Who is asking: the client's address, for rate limits, audit and login throttling.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};

use std::sync::Arc;

use axum::extract::FromRef;

use crate::config::Config;

/// The client's IP: the TCP peer, or the first `X-Forwarded-For` hop when
/// `trust_proxy` is on (a client can put anything in that header, so it is
/// only believed behind our own proxy).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let config = Arc::<Config>::from_ref(state);
        Ok(ClientIp(client_ip(parts, config.server.trust_proxy)))
    }
}

pub fn client_ip(parts: &Parts, trust_proxy: bool) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trust_proxy {
        return peer;
    }
    parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|ip| ip.trim().parse().ok())
        .unwrap_or(peer)
}
