//! Reading a whole paged list (users, groups, a group's members) in the fewest calls when
//! DocuSign fills its pages, and whole when it doesn't.
//!
//! The spec's `count` is only "the maximum number of results to return": a page may hold fewer
//! items than asked before the end of the list, and the next page starts at its
//! `endPosition + 1`. So the first page says how many items there are, the pages after it are
//! asked for side by side at fixed positions (a full page each: the API minimum), and only a
//! page that came back short has its gap asked for again. What was read must add up to the
//! list's `totalSetSize`; a list that doesn't is an error, never a silently short list.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::task::JoinSet;

use super::client::Client;
use super::error::ClientError;
use super::wire::{self, GroupPage, GroupRecord, MemberPage, MemberRecord, UserPage, UserRecord};

/// DocuSign's largest page.
pub const PAGE: usize = 100;

/// The most pages one stretch of a list is read in: a server that never ends a list (or a
/// `totalSetSize` past any account) stops the read with an error rather than a loop.
const MOST_PAGES: usize = 10_000;

/// A list answer: its paging fields and its items.
pub trait ListPage: DeserializeOwned + Send + 'static {
    type Item: Send + 'static;

    fn into_parts(self) -> (wire::Paging, Vec<Self::Item>);
}

impl ListPage for UserPage {
    type Item = UserRecord;

    fn into_parts(self) -> (wire::Paging, Vec<UserRecord>) {
        (self.paging, self.users.unwrap_or_default())
    }
}

impl ListPage for GroupPage {
    type Item = GroupRecord;

    fn into_parts(self) -> (wire::Paging, Vec<GroupRecord>) {
        (self.paging, self.groups.unwrap_or_default())
    }
}

impl ListPage for MemberPage {
    type Item = MemberRecord;

    fn into_parts(self) -> (wire::Paging, Vec<MemberRecord>) {
        (self.paging, self.users.unwrap_or_default())
    }
}

/// Every item of the list at `path` (which may carry a query), in DocuSign's order.
pub async fn all_pages<P: ListPage>(
    client: &Arc<Client>,
    path: &str,
) -> Result<Vec<P::Item>, ClientError> {
    let list = List {
        client: Arc::clone(client),
        path: path.to_owned(),
    };
    let first = list.page::<P>(0, PAGE).await?;
    let Some(total) = first.total else {
        // Without a size, the list is followed page by page until a page comes back empty.
        // DocuSign's guides allow that or following `nextUri` until it is absent; an empty
        // page is the rule that can't end the read early: an answer that left out
        // `totalSetSize` may leave out `nextUri` too, while an empty page at `endPosition + 1`
        // means nothing is left. It costs one call more, on this path only.
        return list.read_from::<P>(first, usize::MAX).await;
    };
    if total > PAGE * MOST_PAGES {
        return Err(list.inconsistent(format!(
            "it says the list holds {total} items, more than the {} this reads",
            PAGE * MOST_PAGES
        )));
    }
    let mut stretches = JoinSet::new();
    for (index, start) in (PAGE..total).step_by(PAGE).enumerate() {
        let list = list.clone();
        let end = (start + PAGE).min(total);
        stretches.spawn(async move {
            let page = list.page::<P>(start, PAGE).await?;
            Ok::<_, ClientError>((index + 1, list.read_from::<P>(page, end).await?))
        });
    }
    let mut read = vec![(0, list.read_from::<P>(first, total.min(PAGE)).await?)];
    while let Some(joined) = stretches.join_next().await {
        let stretch = joined.map_err(|err| {
            ClientError::unreadable("GET", path, format!("a page task failed: {err}"))
        })?;
        read.push(stretch?);
    }
    read.sort_by_key(|(index, _)| *index);
    let all: Vec<P::Item> = read.into_iter().flat_map(|(_, items)| items).collect();
    if all.len() != total {
        return Err(list.inconsistent(format!(
            "its first page said the list holds {total} items, and its pages held {}",
            all.len()
        )));
    }
    Ok(all)
}

/// One page as read.
struct Page<T> {
    items: Vec<T>,
    /// Where the page after it starts.
    next: usize,
    /// The list's `totalSetSize`, when it can be read.
    total: Option<usize>,
}

/// A list, read page by page from one path.
#[derive(Clone)]
struct List {
    client: Arc<Client>,
    path: String,
}

impl List {
    /// At most `count` items from `start`. A page with items that doesn't end past `start`
    /// would have the read ask for the same page again: an error.
    async fn page<P: ListPage>(
        &self,
        start: usize,
        count: usize,
    ) -> Result<Page<P::Item>, ClientError> {
        let separator = if self.path.contains('?') { '&' } else { '?' };
        let path = format!(
            "{}{separator}count={count}&start_position={start}",
            self.path
        );
        let (paging, items) = self.client.get::<P>(&path).await?.into_parts();
        let number = |field: Option<&wire::Text>| field.and_then(wire::Text::as_count);
        let from = number(paging.start_position.as_ref()).unwrap_or(start);
        let next = number(paging.end_position.as_ref()).map_or(from + items.len(), |end| end + 1);
        if !items.is_empty() && next <= start {
            return Err(self.inconsistent(format!(
                "the page asked for from position {start} ends before it (its next page would start at {next}), so the read would not advance"
            )));
        }
        Ok(Page {
            items,
            next,
            total: number(paging.total_set_size.as_ref()),
        })
    }

    /// The items of `page` and of the pages after it, up to position `end`: a page shorter
    /// than its stretch has the gap asked for (`count` the gap, so nothing overlaps the next
    /// stretch) until the stretch is read or a page comes back empty (the list ended early,
    /// which the count of items read then tells).
    async fn read_from<P: ListPage>(
        &self,
        mut page: Page<P::Item>,
        end: usize,
    ) -> Result<Vec<P::Item>, ClientError> {
        let mut items = Vec::new();
        for _ in 0..MOST_PAGES {
            if page.items.is_empty() {
                return Ok(items);
            }
            let next = page.next;
            items.extend(page.items);
            if next >= end {
                return Ok(items);
            }
            page = self.page::<P>(next, (end - next).min(PAGE)).await?;
        }
        Err(self.inconsistent(format!("it did not end within {MOST_PAGES} pages")))
    }

    fn inconsistent(&self, reason: String) -> ClientError {
        ClientError::InconsistentList {
            path: self.path.clone(),
            reason,
        }
    }
}
