//! The fewest calls DocuSign's documented limits allow for a piece of work, worked out from
//! the work's own shape, and the check that a run made exactly that many.
//!
//! The arithmetic here is the benchmarks' own. It must not come from the code it checks
//! (`plan::batching`, which both the plan's estimate and apply's batching follow, or the
//! snapshot's paging): a minimum taken from that code agrees with it whatever it does.

use super::floor::wide;

/// DocuSign's largest page: the user, group and member lists take `count` from 1 to 100.
pub const PAGE: usize = 100;

/// Users per `POST /users`: the API documents at most 500 new users a request.
pub const USERS_PER_CREATE: usize = 500;

/// Users per bulk `DELETE /users`. The API documents no cap for it; we hold it to the create
/// call's 500. The sizes the benchmarks close (500 at most) make both readings agree.
pub const USERS_PER_CLOSE: usize = 500;

/// Pages of a list of `items`, `PAGE` a page. An empty list is none: the caller learns it is
/// empty elsewhere (a total, a count), so it needs no page of its own.
pub fn pages(items: usize) -> u64 {
    wide(items.div_ceil(PAGE))
}

/// `⌈items/per⌉`, the calls of a bulk request capped at `per` items.
pub fn batches(items: usize, per: usize) -> u64 {
    wide(items.div_ceil(per))
}

/// The lists every snapshot reads, and the pages of users and of groups among them: the user
/// list and the group list in pages of at most 100 (`count` is 1–100; `users` and `groups`
/// take in the administrator and the built-in groups), and the permission profiles and the
/// signing groups with their members (`include_users=true`) in one unpaged call each.
pub fn snapshot_lists(users: usize, groups: usize) -> (String, u64, u64) {
    (
        format!(
            "⌈{users}/100⌉ user pages + ⌈{groups}/100⌉ group pages + 1 profile list + 1 \
             signing-group list"
        ),
        pages(users),
        pages(groups),
    )
}

/// The fewest calls for some work, and the arithmetic that gives them, to show beside them.
#[derive(Clone, Debug)]
pub struct Minimum {
    pub calls: u64,
    pub arithmetic: String,
}

impl Minimum {
    /// The fewest calls a snapshot of `users` users and `groups` groups can make when user
    /// records carry `groupList` (see [`snapshot_lists`]).
    pub fn snapshot(users: usize, groups: usize) -> Self {
        let (lists, user_pages, group_pages) = snapshot_lists(users, groups);
        Self {
            calls: user_pages + group_pages + 2,
            arithmetic: format!("{lists} = {user_pages} + {group_pages} + 1 + 1"),
        }
    }

    /// Pieces of work done one after another: their calls added up, and their arithmetic.
    pub fn sum<'a>(parts: impl IntoIterator<Item = (&'a str, &'a Self)>) -> Self {
        let (mut calls, mut arithmetic) = (0, Vec::new());
        for (what, part) in parts {
            calls += part.calls;
            arithmetic.push(format!("{what} {} ({})", part.calls, part.arithmetic));
        }
        Self {
            calls,
            arithmetic: arithmetic.join(" + "),
        }
    }
}

/// The counts a run is held to: the minimum, and what each party counted.
#[derive(Clone, Debug)]
pub struct Tally {
    pub minimum: Minimum,
    /// The plan's own estimate (`plan.api_calls`), for an apply.
    pub estimate: Option<u64>,
    /// The calls the client counted (`Snapshot.calls`, `Outcome.calls`).
    pub client: u64,
    /// The calls the emulator served for the work.
    pub served: u64,
    /// For an apply: the calls that read the account back, and what one fresh snapshot of
    /// the same account costs (the most reading back may take).
    pub read_back: Option<(u64, u64)>,
}

impl Tally {
    /// What disagrees with the minimum, or `None` when every count is exactly it.
    pub fn disagreement(&self) -> Option<String> {
        let minimum = self.minimum.calls;
        let mut wrong = Vec::new();
        if let Some(estimate) = self.estimate.filter(|&estimate| estimate != minimum) {
            wrong.push(format!("the plan estimates {estimate}"));
        }
        if self.client != minimum {
            wrong.push(format!("the client counted {}", self.client));
        }
        if self.served != minimum {
            wrong.push(format!("the emulator served {}", self.served));
        }
        (!wrong.is_empty()).then(|| {
            format!(
                "the minimum is {minimum} ({}), but {}",
                self.minimum.arithmetic,
                wrong.join(", ")
            )
        })
    }
}
