//! The catalogue of a permission profile's `accountRoleSettings` keys, as DocuSign spells them.
//!
//! Taken from the official eSignature v2.1 spec (`accountRoleSettings` in the copy at
//! `tests/fixtures/docusign/esignature.access-subset.swagger.json`), leaving out the `…Metadata`
//! siblings, which are read-only. The spec types every value as a string: booleans travel as
//! `"true"`/`"false"`, and three settings take one of a few words.

/// What values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// `true` or `false` (sent to DocuSign as the strings `"true"`/`"false"`).
    Boolean,
    /// One of a fixed list of words.
    OneOf(&'static [&'static str]),
    /// Free text: the spec documents no values ("Reserved for DocuSign" or no description).
    Text,
}

/// One documented setting.
#[derive(Clone, Copy, Debug)]
pub struct SettingSpec {
    pub key: &'static str,
    pub kind: SettingKind,
    pub description: &'static str,
}

/// Finds a setting by its exact DocuSign key.
#[must_use]
pub fn setting(key: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|spec| spec.key == key)
}

/// Every documented `accountRoleSettings` key, in the spec's order.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "allowAccountManagement",
        kind: SettingKind::Boolean,
        description: "When true, users have full administrative access to the account.",
    },
    SettingSpec {
        key: "allowApiAccess",
        kind: SettingKind::Boolean,
        description: "When true, users can manage documents by using the API.",
    },
    SettingSpec {
        key: "allowApiAccessToAccount",
        kind: SettingKind::Boolean,
        description: "When true, users can access the account by using the eSignature API.",
    },
    SettingSpec {
        key: "allowApiSendingOnBehalfOfOthers",
        kind: SettingKind::Boolean,
        description: "When true, users can send envelopes on behalf of others.",
    },
    SettingSpec {
        key: "allowApiSequentialSigning",
        kind: SettingKind::Boolean,
        description: "When true, users may specify sequential signing recipients when they send documents by using the API.",
    },
    SettingSpec {
        key: "allowAutoTagging",
        kind: SettingKind::Boolean,
        description: "When true, auto-tagging is enabled for the account.",
    },
    SettingSpec {
        key: "allowBulkSending",
        kind: SettingKind::Boolean,
        description: "When true, bulk sending is enabled for users.",
    },
    SettingSpec {
        key: "allowDocuSignDesktopClient",
        kind: SettingKind::Boolean,
        description: "When true, the DocuSign Desktop Client is enabled for users.",
    },
    SettingSpec {
        key: "allowESealRecipients",
        kind: SettingKind::Boolean,
        description: "When true, users can add electronic seal (eSeal) recipients.",
    },
    SettingSpec {
        key: "allowEnvelopeSending",
        kind: SettingKind::Boolean,
        description: "When true, users can send envelopes.",
    },
    SettingSpec {
        key: "allowPowerFormsAdminToAccessAllPowerFormEnvelopes",
        kind: SettingKind::Boolean,
        description: "When true, PowerForm Administrators can access all of the PowerForm envelopes associated with the account.",
    },
    SettingSpec {
        key: "allowSendersToSetRecipientEmailLanguage",
        kind: SettingKind::Boolean,
        description: "When true, senders can set the language of the email that is sent to recipients.",
    },
    SettingSpec {
        key: "allowSignerAttachments",
        kind: SettingKind::Boolean,
        description: "When true, users can add requests for attachments from signers.",
    },
    SettingSpec {
        key: "allowSupplementalDocuments",
        kind: SettingKind::Boolean,
        description: "When true, senders can include supplemental documents.",
    },
    SettingSpec {
        key: "allowTaggingInSendAndCorrect",
        kind: SettingKind::Boolean,
        description: "When true, the tagger palette is visible during the sending and correct flows and users can add tabs to documents.",
    },
    SettingSpec {
        key: "allowVaulting",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
    SettingSpec {
        key: "allowWetSigningOverride",
        kind: SettingKind::Boolean,
        description: "When true, users can override the default account setting that controls whether recipients can sign documents on paper. The option to overrride this setting occurs during the sending process on a per-envelope basis.",
    },
    SettingSpec {
        key: "allowedAddressBookAccess",
        kind: SettingKind::OneOf(&[
            "personal",
            "useShared",
            "usePersonalAndShared",
            "personalAndShared",
        ]),
        description: "Specifies the level of access that users have to the account's address book.",
    },
    SettingSpec {
        key: "allowedClickwrapsAccess",
        kind: SettingKind::Text,
        description: "Not described in the API reference.",
    },
    SettingSpec {
        key: "allowedTemplateAccess",
        kind: SettingKind::OneOf(&["none", "use", "create", "share"]),
        description: "Specifies the level of access that users have to account templates.",
    },
    SettingSpec {
        key: "allowedToBeEnvelopeTransferRecipient",
        kind: SettingKind::Boolean,
        description: "When true, users can be recipients of envelopes transferred to them by administrators of other accounts.",
    },
    SettingSpec {
        key: "canCreateWorkspaces",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
    SettingSpec {
        key: "canSendEnvelopesViaSMS",
        kind: SettingKind::Text,
        description: "Not described in the API reference.",
    },
    SettingSpec {
        key: "disableDocumentUpload",
        kind: SettingKind::Boolean,
        description: "When true, users cannot upload documents.",
    },
    SettingSpec {
        key: "disableOtherActions",
        kind: SettingKind::Boolean,
        description: "When true, users can access the Other Actions menu.",
    },
    SettingSpec {
        key: "enableApiRequestLogging",
        kind: SettingKind::Boolean,
        description: "When true, API request logging is enabled.",
    },
    SettingSpec {
        key: "enableRecipientViewingNotifications",
        kind: SettingKind::Boolean,
        description: "When true, senders are notified when recipients view the documents that they send.",
    },
    SettingSpec {
        key: "enableSequentialSigningInterface",
        kind: SettingKind::Boolean,
        description: "When true, the sequential signing user interface is enabled.",
    },
    SettingSpec {
        key: "enableTransactionPointIntegration",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
    SettingSpec {
        key: "powerFormRole",
        kind: SettingKind::OneOf(&["none", "user", "admin"]),
        description: "The PowerForms rights associated with the account permission profile.",
    },
    SettingSpec {
        key: "receiveCompletedSelfSignedDocumentsAsEmailLinks",
        kind: SettingKind::Boolean,
        description: "When true, senders receive emails about completed, self-signed documents that contain links to the completed documents instead of PDF attachments.",
    },
    SettingSpec {
        key: "supplementalDocumentsMustAccept",
        kind: SettingKind::Boolean,
        description: "When true, senders can require recipients to accept supplemental documents.",
    },
    SettingSpec {
        key: "supplementalDocumentsMustRead",
        kind: SettingKind::Boolean,
        description: "When true, senders can require recipients to read supplemental documents.",
    },
    SettingSpec {
        key: "supplementalDocumentsMustView",
        kind: SettingKind::Boolean,
        description: "When true, users can require recipients to view supplemental documents.",
    },
    SettingSpec {
        key: "useNewDocuSignExperienceInterface",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
    SettingSpec {
        key: "useNewSendingInterface",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
    SettingSpec {
        key: "vaultingMode",
        kind: SettingKind::Text,
        description: "Reserved for DocuSign.",
    },
];
