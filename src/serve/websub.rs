//! The WebSub subscriber's callback, `/websub/{source}` (W3C WebSub 5.3
//! and 8): a hub's `GET` verifies an intent (`hub.mode` subscribe or
//! unsubscribe, `hub.topic`, `hub.challenge`, `hub.lease_seconds`), or
//! tells of a denial; its `POST` delivers content, with `X-Hub-Signature`.
//!
//! This module reads requests and shapes answers; `app` decides, through
//! the [`Callbacks`] trait (it knows the subscriptions and their secrets).

use super::Shared;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// What a hub's verification request says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A subscription (or a renewal), for the lease the hub grants.
    Subscribe {
        lease_seconds: Option<u32>,
    },
    Unsubscribe,
    /// The hub refused the subscription (no challenge to echo).
    Denied,
}

/// What became of pushed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Read and stored.
    Accepted,
    /// Not read: its signature does not match, or it is unreadable. The
    /// hub is answered as for accepted content (W3C WebSub 8.1: the
    /// subscriber ignores it locally, and may still acknowledge it, which
    /// gives a forger no answer to learn from).
    Ignored,
    /// No subscription of this source is live here: the hub may drop it
    /// (W3C WebSub 8: 410 Gone).
    Gone,
    /// The store failed: the hub should try again later.
    Failed,
}

/// The subscriptions behind the callback; `app` implements it.
#[async_trait::async_trait]
pub trait Callbacks: Send + Sync {
    /// Whether `intent` for `topic` confirms a subscription of `source`
    /// this daemon asked for (and applies it).
    async fn verify(&self, source: &str, topic: &str, intent: Intent) -> bool;

    /// Reads content pushed for `source`, checking its `X-Hub-Signature`.
    async fn deliver(
        &self,
        source: &str,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: bytes::Bytes,
    ) -> Delivery;

    /// The largest body read, as for a fetch (`[fetch] max_body`).
    fn max_body(&self) -> usize;
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `GET /websub/{source}`: answers a verification with its challenge (200)
/// when it confirms a subscription asked for, else 404; a denial gets 200.
pub(super) async fn verify(
    State(shared): State<Arc<Shared>>,
    Path(source): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(mode), Some(topic)) = (query.get("hub.mode"), query.get("hub.topic")) else {
        return text(
            StatusCode::BAD_REQUEST,
            "a WebSub callback: hub.mode and hub.topic are required\n",
        );
    };
    let intent = match mode.as_str() {
        "subscribe" => Intent::Subscribe {
            lease_seconds: query.get("hub.lease_seconds").and_then(|l| l.parse().ok()),
        },
        "unsubscribe" => Intent::Unsubscribe,
        "denied" => Intent::Denied,
        _ => return text(StatusCode::BAD_REQUEST, "unknown hub.mode\n"),
    };
    let challenge = query.get("hub.challenge").filter(|c| !c.is_empty());
    if intent != Intent::Denied && challenge.is_none() {
        return text(StatusCode::BAD_REQUEST, "hub.challenge is required\n");
    }
    if !shared.callbacks.verify(&source, topic, intent).await {
        return text(
            StatusCode::NOT_FOUND,
            "no such subscription was asked for\n",
        );
    }
    let body = challenge.cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `POST /websub/{source}`: pushed content, read up to `max_body` bytes
/// (413 beyond); 202 once read or ignored, 410 without a subscription, 500
/// when it could not be stored.
pub(super) async fn deliver(
    State(shared): State<Arc<Shared>>,
    Path(source): Path<String>,
    req: Request,
) -> Response {
    let (parts, body): (_, Body) = req.into_parts();
    let header_text = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = header_text("x-hub-signature");
    let content_type = header_text("content-type");
    let limit = shared.callbacks.max_body();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the content is larger than fetch.max_body\n",
        );
    };
    match shared
        .callbacks
        .deliver(
            &source,
            signature.as_deref(),
            content_type.as_deref(),
            bytes,
        )
        .await
    {
        Delivery::Accepted | Delivery::Ignored => text(StatusCode::ACCEPTED, "accepted\n"),
        Delivery::Gone => text(StatusCode::GONE, "no subscription of this source\n"),
        Delivery::Failed => text(StatusCode::INTERNAL_SERVER_ERROR, "try again later\n"),
    }
}
