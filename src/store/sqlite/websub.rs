//! WebSub subscriptions on SQLite: their rows, the holder's lease and
//! verification. Uses the connection and helpers of `super`.

use super::{SqliteStore, exec, from_ms, ms};
use crate::store::{StoreError, Subscription, SubscriptionState, Verification};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

const SUBSCRIPTION_COLUMNS: &str =
    "source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until";

fn subscription_row(r: &rusqlite::Row<'_>) -> Result<Subscription, rusqlite::Error> {
    Ok(Subscription {
        source: r.get(0)?,
        hub: r.get(1)?,
        topic: r.get(2)?,
        secret: r.get(3)?,
        state: SubscriptionState::parse(&r.get::<_, String>(4)?),
        requested: from_ms(r.get(5)?),
        lease_seconds: r.get(6)?,
        expires: r.get::<_, Option<i64>>(7)?.map(from_ms),
        holder: r.get(8)?,
        held_until: r.get::<_, Option<i64>>(9)?.map(from_ms),
    })
}

pub(super) async fn subscription(
    db: &SqliteStore,
    source: &str,
) -> Result<Option<Subscription>, StoreError> {
    let source = source.to_string();
    db.with(move |c| {
        c.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE source = ?1"
        ))?
        .query_row([source], subscription_row)
        .optional()
    })
    .await
}

pub(super) async fn subscriptions(db: &SqliteStore) -> Result<Vec<Subscription>, StoreError> {
    db.with(|c| {
        c.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions ORDER BY source"
        ))?
        .query_map([], subscription_row)?
        .collect()
    })
    .await
}

pub(super) async fn put_subscription(
    db: &SqliteStore,
    sub: &Subscription,
) -> Result<bool, StoreError> {
    let sub = sub.clone();
    db.with(move |c| {
        let n = exec(
            c,
            "INSERT INTO websub_subscriptions (source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (source) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
               state = excluded.state, requested = excluded.requested, lease_seconds = excluded.lease_seconds,
               expires = excluded.expires, holder = excluded.holder, held_until = excluded.held_until
             WHERE websub_subscriptions.holder IS NULL OR websub_subscriptions.held_until <= excluded.requested
               OR websub_subscriptions.holder = excluded.holder",
            params![
                sub.source,
                sub.hub,
                sub.topic,
                sub.secret,
                sub.state.as_str(),
                ms(sub.requested),
                sub.lease_seconds,
                sub.expires.map(ms),
                sub.holder,
                sub.held_until.map(ms)
            ],
        )?;
        Ok(n == 1)
    })
    .await
}

pub(super) async fn hold_subscription(
    db: &SqliteStore,
    source: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    instance: &str,
) -> Result<bool, StoreError> {
    let (source, instance) = (source.to_string(), instance.to_string());
    db.with(move |c| {
        let n = exec(
            c,
            "UPDATE websub_subscriptions SET holder = ?3, held_until = ?4
             WHERE source = ?1 AND (holder IS NULL OR held_until <= ?2 OR holder = ?3)",
            params![source, ms(now), instance, ms(until)],
        )?;
        Ok(n == 1)
    })
    .await
}

pub(super) async fn release_subscriptions(
    db: &SqliteStore,
    instance: &str,
) -> Result<(), StoreError> {
    let instance = instance.to_string();
    db.with(move |c| {
        exec(
            c,
            "UPDATE websub_subscriptions SET holder = NULL, held_until = NULL WHERE holder = ?1",
            [instance],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn verify_subscription(
    db: &SqliteStore,
    source: &str,
    topic: &str,
    verification: Verification,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (source, topic) = (source.to_string(), topic.to_string());
    let states = crate::store::verifiable(verification);
    let (first, last) = (states[0].as_str(), states[states.len() - 1].as_str());
    db.with(move |c| {
        let matching = "source = ?1 AND topic = ?2 AND (state = ?3 OR state = ?4)";
        let n = match verification {
            Verification::Subscribe { lease_seconds } => {
                let expires = now + chrono::Duration::seconds(i64::from(lease_seconds));
                exec(
                    c,
                    &format!(
                        "UPDATE websub_subscriptions SET state = 'active', lease_seconds = ?5, expires = ?6 WHERE {matching}"
                    ),
                    params![source, topic, first, last, lease_seconds, ms(expires)],
                )?
            }
            Verification::Unsubscribe => exec(
                c,
                &format!("DELETE FROM websub_subscriptions WHERE {matching}"),
                params![source, topic, first, last],
            )?,
            Verification::Denied => exec(
                c,
                &format!(
                    "UPDATE websub_subscriptions SET state = 'denied' WHERE {matching}"
                ),
                params![source, topic, first, last],
            )?,
        };
        Ok(n == 1)
    })
    .await
}

pub(super) async fn remove_subscription(db: &SqliteStore, source: &str) -> Result<(), StoreError> {
    let source = source.to_string();
    db.with(move |c| {
        exec(
            c,
            "DELETE FROM websub_subscriptions WHERE source = ?1",
            [source],
        )?;
        Ok(())
    })
    .await
}
