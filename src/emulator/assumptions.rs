//! Every place where DocuSign's behaviour is unconfirmed (neither its spec nor its reference
//! settles it, or they don't describe it at all) and the emulator had to choose. The rule: take the stricter reading — the
//! one a client is more likely to get wrong — and offer a switch in [`super::Config`] where a
//! client must cope with either.
//!
//! # Reading
//! - **Plain user lists are thin.** Without `additional_info=true`, `GET /users` answers only
//!   identity and status fields: no `permissionProfileId`/`Name`, `jobTitle`, `isAdmin` or
//!   `groupList`. A client that wants profiles must ask for full records (still one call a page).
//! - **`groupList`** is in full user records (list with `additional_info=true`, and get one)
//!   only while [`super::Config::group_list_in_user_records`] is on; off, a client must read
//!   memberships from `GET /groups/{id}/users`.
//! - **SCIM flags** (`isManagedByScim`, `isMembershipManagedByScim`) are newer than the spec
//!   copy (DocuSign's SDKs have them): full user records carry each, as `"True"`, only for a
//!   user it holds for (seeded per user); absent means false. Nothing in the API changes
//!   because of them: they say who ought to make the changes, not who can.
//! - **Page size when `count` is left out: 20.** Undocumented; small, so a forgetful client pays.
//! - **An empty page** has `resultSetSize` "0" and no `users`/`groups`, no `endPosition`, no
//!   `nextUri`.
//! - **A page holds all that `count` asks for** (to the end of the list) by default. The spec
//!   says no more than that `count` is "the maximum number of results to return" (users,
//!   groups, group members), and that `resultSetSize` is "always less than or equal to the
//!   `totalSetSize`"; the next page starts at `endPosition + 1`. So a page may hold fewer before
//!   the end: [`super::Config::page_cap`] answers at most that many items a page (every list,
//!   envelopes too), `count` past it cut to it, with `resultSetSize`, `endPosition`,
//!   `totalSetSize` and `nextUri` (which then asks for the cap) saying what the page holds. A
//!   client that pages by fixed offsets without reading them loses items under it.
//! - **`GET /users?email=`** matching nobody (after the other filters) is a 400
//!   `USER_LACKS_MEMBERSHIP`, as DocuSign's own code examples expect, not an empty list.
//! - **`GET /users/{id}/profile`** answers only for the caller's own user ID (the spec says so);
//!   another ID is a 400 `USER_LACKS_PERMISSIONS`.
//!
//! # Users
//! - **Uniqueness is by email**, whatever the `userName`: creating an email that a live user has
//!   is `USER_ALREADY_EXISTS_IN_ACCOUNT` (stricter than DocuSign's documented userName+email pair).
//!   Emails compare with ASCII letters folded and no others ([`crate::email`], the tool's rule
//!   too): `Ana@X.com` is `ana@x.com`, `Änne@x.com` and `änne@x.com` are two users.
//! - **Reopening**: creating a closed user's exact `userName` + email reopens it with the same
//!   `userId`, in `ActivationSent`, with the request's profile (else DocuSign Sender). With
//!   another `userName`, a *new* user with a new `userId` is created beside the closed one, as a
//!   reported DocuSign quirk has it. [`super::config::Config::reopen_keeps_user_id`] off makes a
//!   new user even for the exact `userName` (the closed one stays closed, with its memberships):
//!   whether DocuSign keeps the ID is unconfirmed, and apply must notice either way.
//! - **Closing** (`DELETE /users`) keeps group and signing-group memberships unless
//!   `delete=Groups` / `delete=SigningGroupsEmail` asks otherwise; `PermissionSet` is ignored (a
//!   user always holds a profile). Closing a closed user succeeds.
//! - **A closed user can't be updated** (per item `USER_LACKS_MEMBERSHIP`) or added to a group
//!   (per item `INVALID_USERID`).
//! - **Profile changes** go through the calls that [`super::config::ProfileChangeRoutes`]
//!   enables; through a disabled one, `permissionProfileId` is ignored and the answer is still
//!   200 — the way an API ignores a field — so only a client that reads back notices.
//! - **Email changes** through `PUT /users` or `PUT /users/{id}` are ignored.
//! - **Update answers echo the profile**: bulk `PUT /users` and `PUT /users/{id}` answer the
//!   user's `permissionProfileId`/`Name` as they now stand, unless
//!   [`super::Config::profile_in_user_answers`] is off. Off, an answer acknowledges a profile
//!   change without saying whether it took, whichever route was used: only reading back tells.
//!
//! # User dates
//! - **Format**: every date is UTC with seven fractional digits, `2026-11-01T00:00:00.0000000Z`,
//!   as the spec's examples write them. A date DocuSign doesn't hold is
//!   [`super::dates::NEVER`], `0001-01-01T08:00:00.0000000Z` (.NET's `DateTime.MinValue` at
//!   midnight Pacific): the spec's own `GET /users/{userId}` example answers it for
//!   `userAddedToAccountDateTime`, and a failed create item for `createdDateTime`.
//! - **`createdDateTime` and `userAddedToAccountDateTime`** are in every user record, plain
//!   ones too. They differ for a user made in another account of the organization; a seed may
//!   give `added_to_account: never`, which answers the never value (as the spec's example does,
//!   for an active user), so a client must fall back to `createdDateTime`. Users the API
//!   creates get both as the emulator's now; a reopened user is added again (now).
//! - **`userProfileLastModifiedDate`** (full records) moves with every change to the user,
//!   closing and reopening included.
//! - **`lastLogin`** is only in the full records of the user list (`additional_info=true`):
//!   `GET /users/{userId}` ignores `additional_info` (the spec says so) and its example has
//!   none. What it says follows [`super::Config::last_login`]. DocuSign no longer reports the
//!   last login reliably, so the default, [`super::config::LastLogin::Never`], answers the never
//!   value for everyone — the way it answers every date it doesn't hold, and the reading a
//!   client gets wrong (it parses as a date, so a naive client finds everyone idle for two
//!   thousand years). `Reported` answers each user's own (the never value for one who never
//!   signed in); `Absent` leaves the field out.
//!
//! # Account figures (`GET /accounts/{accountId}`)
//! - **`seatsInUse`** counts every membership that isn't closed: pending invitations
//!   (`ActivationSent`, `ActivationRequired`) and disabled users hold a seat until closed. The
//!   spec says "users currently active"; whether an invitation holds a seat is unconfirmed, and
//!   counting it is the reading under which a client that counts `Active` users itself gets the
//!   figure wrong. [`super::Config::pending_hold_seats`] off counts `Active` users only.
//! - **Seats are not enforced**: creating users past `seatsAllowed` succeeds (plans differ;
//!   some bill the overage). A client must not read a successful create as a free seat.
//! - **`seatsAllowed` and `billingPeriodEnvelopesAllowed` may be `"unlimited"`**, as a developer
//!   account answers (a seed without figures is one: plan `DEVCENTER_DEMO_APRIL2013`); a client
//!   must not parse them as numbers blindly. **`planEndDate` is left out** for a plan without
//!   an end.
//! - **The billing period** is the one holding now, of the seeded length (a month by default),
//!   counted from the seeded start; `billingPeriodDaysRemaining` is whole days, rounded down.
//!   `billingPeriodEnvelopesSent` counts the account's envelopes whose `sentDateTime` falls in
//!   it, every sender's; drafts don't count.
//! - **`include_account_settings=true`** adds a few `accountSettings` (of DocuSign's hundreds),
//!   as strings.
//!
//! # Envelopes (`GET /envelopes`, listStatusChanges)
//! - **`from_date` is required** unless `envelope_ids` or `transaction_ids` is given, as the
//!   spec says: without, a 400 `INVALID_REQUEST_PARAMETER` whose message says so. A
//!   DocuSign blog says that since January 2024 a missing `from_date` reads two years back; the
//!   400 is the stricter reading, and a client that always sends `from_date` works with both.
//! - **Whose envelopes**: the caller's own, unless `user_id` or `user_name` + `email` name
//!   another user — which only an account administrator may (else 400
//!   `USER_LACKS_PERMISSIONS`; the spec's "any user with account access" is read as account
//!   management access). An unknown `user_id` is a 400 `INVALID_USERID`; `user_name` without
//!   `email` (or the other way round), or a pair naming no user, a 400
//!   `INVALID_REQUEST_PARAMETER`. A closed user's envelopes stay listed.
//! - **`user_id`** is honoured, as the v2.1 spec documents it, while
//!   [`super::Config::envelopes_by_user_id`] is on. Off, it is ignored (the list stays the
//!   caller's): DocuSign's reference for the user endpoints says of listStatusChanges that
//!   "the `user_id` query parameter is not implemented and should not be used". A client must
//!   check each envelope's `sender.userId`; `user_name` + `email` is the documented way.
//! - **`from_to_status`** bounds the time the spec's table names: `created` the creation,
//!   `sent` the sending, `completed` the completion, `voided` the voiding, `changed` (default)
//!   and every other value the last status change; `timedout` finds nothing. The emulator keeps
//!   no history: an envelope completes or is voided at its last change, if that is where it
//!   stands. Where the qualifier is the last change, the result is not narrowed to the statuses
//!   the qualifier implies (the spec's "extraneous results": `from_to_status=delivered` also
//!   answers an envelope merely sent in the window), so a client must read `status`. A `status`
//!   sharing nothing with the qualifier's valid statuses answers an empty list.
//! - **Dates without an offset** (`2026-01-05`, `2026-01-05T09:00`) are read on DocuSign's
//!   server clock, fixed at UTC−8 (Pacific standard time, as the never value shows; summer time
//!   is not modelled). `to_date` defaults to now.
//! - **Paging**: `count` 20 when left out (as the other lists); past 1,000 (DocuSign's limit
//!   since January 2024) it is cut to 1,000, not refused, so a client must compare
//!   `totalSetSize`. The answer carries `nextUri`/`previousUri` like the other lists: the 2022
//!   spec's `envelopesInformation` lacks them, DocuSign's 2025 SDK has them. Ordered by
//!   `statusChangedDateTime`, oldest first, unless `order`/`order_by` (`created`, `sent`) say
//!   otherwise.
//! - **Not modelled**: recipients (`user_filter=recipient`/`recipient_only` find nothing;
//!   `include=recipients` adds nothing), transaction IDs (they find nothing), folders,
//!   `continuation_token`. `exclude` and `include` are accepted. Envelopes come from seeds only:
//!   there is no `POST /envelopes`.
//!
//! # Bulk answers
//! - **Some items failed**: the answer lists one result per item, a failed one with its own
//!   `errorDetails`, under the success status (200, 201 for creates) as the spec's examples
//!   show. With [`super::config::ItemFailureStatus::BadRequest`] the same body comes with a 400,
//!   the only error status the spec declares: a client must read a 400 per item when it carries
//!   per-item results, not fail every item. This covers users (create, update, close), group
//!   members (add, remove), groups (create, update, delete) and signing groups (create, rename,
//!   delete).
//! - **Per-item codes** are the emulator's (below) unless
//!   [`super::config::ItemErrorCodes::Generic`] turns every code DocuSign doesn't document into
//!   `INVALID_REQUEST_PARAMETER` with a generic message. A client must not conclude anything
//!   was done from a code alone.
//!
//! # Groups
//! - **Everyone** holds every user who isn't closed; editing its membership is a 400
//!   `INVALID_GROUP_ID`. **Administrators' membership** is kept as given: it does not follow the
//!   Account Administrator profile, so a client must manage both.
//! - **Built-in groups** can't be renamed, given a profile or deleted: per item `INVALID_GROUP_ID`.
//! - **Adding a member twice or removing a non-member** answers 200 with a per-item
//!   `errorDetails` (`USER_ALREADY_MEMBER_OF_GROUP`, `USER_NOT_MEMBER_OF_GROUP`): a client must
//!   not treat every item error as fatal.
//! - **Joining a group that carries a profile** leaves the user's own profile alone unless
//!   [`super::Config::group_profile_on_join`] is on.
//! - **Names** of groups, profiles and signing groups are unique regardless of letter case.
//!
//! # Permission profiles
//! - **Built-ins** can't be updated or deleted: 400 `PERMISSION_PROFILE_CANNOT_BE_MODIFIED`.
//! - **Deleting a held profile** needs `move_users_to` naming another existing profile; closed
//!   users count as holders and move too; groups that carried the profile lose it.
//! - **Settings**: unknown keys are ignored, a value a setting can't take is a 400, keys not in a
//!   `PUT` keep their values, and a new profile starts from DocuSign Sender's settings.
//! - **`include=metadata`** gives each setting its `…Metadata` sibling with `rights`
//!   (`read_only` in a built-in profile, else `editable`) and, for a setting of a few words,
//!   `options`; DocuSign's other metadata fields are "reserved" and left out. Sent back in a
//!   `PUT`, the siblings are unknown keys, ignored.
//!
//! # Signing groups
//! - **An account may lack them** (a feature of some plans): with
//!   [`super::Config::signing_groups_enabled`] off, every `/signing_groups` call is a 400
//!   `ACCOUNT_LACKS_PERMISSIONS`. DocuSign's answer is undocumented; a connector takes a 403,
//!   404 or 401 for it, and this is DocuSign's code for an account not allowed something and
//!   the only status the spec declares. A client must still read the rest of the account.
//! - **Bulk `PUT /signing_groups`** renames only; other fields are ignored.
//! - **`PUT /signing_groups/{id}`** merges `users` into the members by email (a connector relies
//!   on merging); it never removes members.
//! - **Removing a non-member** answers 200 `{}`.
//! - **Over a limit** (50 groups, 50 members): on create, per item, `SIGNING_GROUP_MAX_EXCEEDED`
//!   for a group past the 50th and `SIGNING_GROUP_MAX_USERS_EXCEEDED` for one listing more than
//!   50 members; a 400 `SIGNING_GROUP_MAX_USERS_EXCEEDED` for a request to one group
//!   (`PUT /signing_groups/{id}`, `PUT …/users`) that would take it past 50 members.
//!
//! # Access and limits
//! - **An unknown account, or one the caller isn't a member of**, is a 400
//!   `USER_LACKS_MEMBERSHIP`. **A missing or bad token** is a 401 `AUTHORIZATION_INVALID_TOKEN`.
//! - **Writes are an administrator's**: every `POST`, `PUT` and `DELETE` of the account's API
//!   from a caller whose profile can't administer the account (`allowAccountManagement`) is a
//!   400 `USER_LACKS_PERMISSIONS`, before any work. The spec says so of signing groups ("only
//!   users with account administrator privileges"); of users, groups and profiles DocuSign's
//!   admin guides do, and these are its codes for such a caller. Reads stay open to members,
//!   within what each read allows (another user's envelopes, another user's `/profile`).
//! - **Rate limits**: the hourly window resets at the top of each clock hour; the burst window is
//!   the last 30 seconds (sliding, stricter than fixed windows); refused calls count against both;
//!   OAuth calls and `/_emulator/*` don't count. `BURST_APIINVOCATION_LIMIT_EXCEEDED` is the burst
//!   code. The status is 400 unless [`super::config::RateLimitStatus::TooManyRequests`].
//! - **Several accounts, one user ID.** A user who belongs to several accounts (of one
//!   organization) has one `userId` in all of them and one token serves every account; userinfo
//!   lists each, the first as the default. Each account keeps its own rate-limit windows, as
//!   DocuSign's limits are per account.
//! - **Refresh tokens are single-use**: a refresh answers a new one and spends the old.
//! - **Error codes DocuSign doesn't document** were named in its style: `INVALID_PERMISSION_PROFILE_ID`,
//!   `INVALID_GROUP_ID`, `INVALID_SIGNING_GROUP_ID`, `INVALID_EMAIL_ADDRESS_FOR_USER`,
//!   `INVALID_USERNAME_FOR_USER`, `PERMISSION_PROFILE_HAS_USERS`, `DUPLICATE_GROUP_NAME`,
//!   `PERMISSION_PROFILE_NAME_ALREADY_EXISTS`, `SIGNING_GROUP_NAME_EXISTS`, and
//!   `UNSPECIFIED_ERROR` for an injected 5xx, and per item `USER_ALREADY_MEMBER_OF_GROUP`,
//!   `USER_NOT_MEMBER_OF_GROUP`, `INVALID_GROUP_NAME` and `SIGNING_GROUP_MAX_EXCEEDED`. Clients
//!   must key on the HTTP status and show the code, not depend on these names;
//!   [`super::config::ItemErrorCodes::Generic`] replaces them in bulk answers.
//! - **Requests** may send numbers and booleans as JSON numbers or strings; answers always
//!   send strings.
//!
//! # Faults (the emulator's own, not DocuSign's)
//! - **A request's fate is its own.** Injected faults and jitter are drawn per request from a
//!   SHA-256 of the seed, the route (`METHOD /path/{template}`), the request's identity (method,
//!   path with query, body; not headers, which carry tokens) and its attempt number: how many
//!   times that identical request arrived before. A retry is a fresh draw, and which requests
//!   are faulted doesn't depend on the order concurrent calls arrive in, so a seeded run repeats.
//!   Attempts are counted at arrival, before authentication.
//! - **IDs the emulator makes do depend on arrival order**: new users' IDs come from one seeded
//!   stream and new groups', signing groups' and profiles' from one counter, so two creates at
//!   once may swap IDs between runs, and calls that later name those IDs then draw other fates.
//! - **Latency includes DocuSign's work.** A call answers
//!   [`super::Config::latency`] (plus its jitter) after it arrives, the work of the call
//!   included: half the latency and the jitter before the work (the jitter reorders concurrent
//!   requests, as a network does), the rest after it. The latency stands for the whole time a
//!   call takes as its caller sees it, and DocuSign's work runs on DocuSign's machines, never on
//!   its caller's. Here the emulator shares the caller's cores: work done after the whole
//!   latency would land in the caller's own busiest moment (decoding the answers) and take
//!   cores from it, which DocuSign's work never does.
