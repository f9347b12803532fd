//! Invitations: one at a time or in bulk (each address gets its own result),
//! pending for 5 days, resend/revoke while pending, reinvite once expired, and
//! acceptance that takes a seat.

mod accept;
mod manage;
mod send;

pub use accept::{LinkState, accept, accept_by_id, inspect, sign_up_and_accept};
pub use manage::{PendingInvitation, list, resend, revoke};
pub use send::{InviteOutcome, InviteRequest, MAX_ADDRESSES_PER_REQUEST, invite, split_addresses};

use time::Duration;

/// How long an invitation link works.
pub const VALID_FOR: Duration = Duration::days(5);
