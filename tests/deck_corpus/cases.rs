//! The tables of the decK corpus test: what each fixture is for and what decK's Go test expects of
//! it (the test function is named on each row, in `tests/integration/*_test.go` of Kong/deck), the
//! fixtures that use features outside kongsync's core (which must be refused naming the feature),
//! the ones that do not apply to a Kong 3.5.0 gateway, and the cases that fail today because of a
//! known open bug.
//!
//! decK's `apply` (add and update, never delete) has no kongsync command: an apply of file A and then
//! of file B is run as one sync of both files, which reaches the same state when B only adds to or
//! updates what A created, as in every apply fixture here.

/// One step of a case. File arguments are relative to the case's folder.
pub enum Step {
    /// Sets environment variables for the steps that follow; `@vN` is a value of `values.json`.
    Env(&'static [(&'static str, &'static str)]),
    /// `validate FILES` accepts them.
    Validate(&'static [&'static str]),
    /// `sync ARGS` succeeds, and then `diff --exit-code ARGS` finds nothing left to do.
    Sync(&'static [&'static str]),
    /// `dump -o - ARGS` gives the file (semantically; counted when byte-identical).
    Dump(&'static [&'static str], &'static str),
    /// The command exits 0.
    Runs(&'static [&'static str]),
    /// The command exits 1 and says this (on either output).
    Fails(&'static [&'static str], &'static str),
    /// The command succeeds (or reports changes) and its output holds the first texts, not the second.
    Shows(&'static [&'static str], &'static [&'static str], &'static [&'static str]),
    /// `GET path` on the gateway holds this JSON at this pointer.
    Live(&'static str, &'static str, &'static str),
    /// `PUT path` with this JSON body on the gateway: an entity decK's test creates through the Admin
    /// API before it syncs.
    Put(&'static str, &'static str),
    /// The command exits 1, says this, and the gateway received no write.
    Refuses(&'static [&'static str], &'static str),
    /// A second later, `sync FILES` (as [`Step::Sync`]) leaves the values at these (path, pointer)
    /// as they were.
    SyncKeeps(&'static [&'static str], &'static [(&'static str, &'static str)]),
    /// These steps, in order (a group of checks a case repeats).
    All(&'static [Step]),
}

use Step::*;

/// A fixture folder run the way a decK Go test runs it.
pub struct Case {
    pub dir: &'static str,
    /// The Go test function (in Kong/deck's `tests/integration/`) whose expectation this is.
    pub go_test: &'static str,
    pub steps: &'static [Step],
}

/// decK's `maskingFixEnvVars` (diff_test.go).
const SHORT_VALUES: &[(&str, &str)] = &[
    ("DECK_REDIS_DB", "0"),
    ("DECK_SYNC_RATE", "1"),
    ("DECK_RETRIES", "5"),
    ("DECK_SERVICE_HOST", "example.com"),
    ("DECK_REGEX_PRIORITY", "0"),
    ("DECK_RATE_LIMIT", "100"),
];

/// What `Test_Sync_ChangingIDsWhileKeepingNames` checks after each sync of `desired.yaml`: the
/// entities have the file's ids, the route is on the new service, and each plugin is on its new
/// parent.
const IDS_020: &[Step] = &[
    Live("/services/s1", "/id", r#""98076db2-28b6-423b-ba39-a797193017f7""#),
    Live("/routes/r1", "/id", r#""97b6a97e-f3f7-4c47-857a-7464cb9e202b""#),
    Live("/routes/r1", "/service/id", r#""98076db2-28b6-423b-ba39-a797193017f7""#),
    Live("/consumers/c1", "/id", r#""9a1e49a8-2536-41fa-a4e9-605bf218a4fa""#),
    Live("/consumers/9a1e49a8-2536-41fa-a4e9-605bf218a4fa/plugins", "/data/0/name", r#""rate-limiting""#),
    Live("/routes/97b6a97e-f3f7-4c47-857a-7464cb9e202b/plugins", "/data/0/name", r#""rate-limiting""#),
    Live("/services/98076db2-28b6-423b-ba39-a797193017f7/plugins", "/data/0/name", r#""rate-limiting""#),
];

pub const CASES: &[Case] = &[
    // --- validate (validate_test.go)
    Case { dir: "validate", go_test: "Test_Validate_File", steps: &[Validate(&["kong3x.yaml"])] },
    Case { dir: "validate", go_test: "Test_Validate_Gateway", steps: &[Validate(&["kong-basic-auth.yaml"])] },
    Case {
        dir: "validate",
        go_test: "Test_Validate_Konnect",
        steps: &[
            Validate(&["konnect.yaml"]),
            Validate(&["konnect-basic-auth.yaml"]),
            Validate(&["konnect_invalid.yaml"]),
        ],
    },
    Case {
        dir: "validate",
        go_test: "Test_Validate_Konnect (1.1 and no version: errors)",
        steps: &[
            Fails(&["validate", "konnect_1_1.yaml"], "`_format_version` is \"1.1\""),
            Fails(&["validate", "konnect_no_version.yaml"], "`_format_version` is missing"),
        ],
    },
    // --- sync (sync_test.go)
    Case {
        dir: "sync/001-create-a-service",
        go_test: "Test_Sync_ServicesRoutes_From_3x",
        steps: &[Sync(&["kong3x.yaml"]), Live("/services/svc1", "/connect_timeout", "60000")],
    },
    Case {
        dir: "sync/001-create-a-service",
        go_test: "Test_Sync_Unsupported_Formats",
        steps: &[Fails(&["sync", "kong.yaml"], "`_format_version` is \"1.1\"")],
    },
    Case {
        dir: "sync/002-create-services-and-routes",
        go_test: "Test_Sync_ServicesRoutes_From_3x",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/003-create-a-plugin",
        go_test: "Test_Sync_BasicAuth_Plugin_From_3x",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/004-create-upstream-and-target",
        go_test: "Test_Sync_Upstream_Target_From_3x",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/005-create-upstream-and-target-weight",
        go_test: "Test_Sync_Upstreams_Target_ZeroWeight_3x",
        steps: &[Sync(&["kong3x.yaml"]), Live("/upstreams/upstream1/targets", "/data/0/weight", "0")],
    },
    Case {
        dir: "sync/009-skip-ca-cert",
        go_test: "Test_Sync_SkipCACert_3x",
        steps: &[Sync(&["kong3x.yaml", "--skip-ca-certificates"])],
    },
    Case {
        dir: "sync/010-create-route-with-service-name-reference",
        go_test: "Test_Sync_Create_Route_With_Service_Name_Reference_3x",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/013-update-username-consumer-with-custom-id",
        go_test: "Test_Sync_UpdateUsernameInConsumerWithCustomID_3x",
        steps: &[Sync(&["kong3x-initial.yaml"]), Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/014-update-consumer-with-custom-id",
        go_test: "Test_Sync_UpdateConsumerWithCustomID_3x",
        steps: &[Sync(&["kong3x-initial.yaml"]), Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/015-consumer-groups",
        go_test: "Test_Sync_ConsumerGroups_31",
        steps: &[Sync(&["kong3x-initial.yaml"]), Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/015-consumer-groups",
        go_test: "Test_Sync_Consumers_Default_Lookup_Tag",
        steps: &[
            Sync(&["kong-cg.yaml"]),
            Sync(&["kong-consumer-1.yaml"]),
            Sync(&["kong-consumer-2.yaml"]),
            Sync(&["kong-consumer-1.yaml"]),
        ],
    },
    Case {
        dir: "sync/018-plugin-instance_name",
        go_test: "Test_Sync_PluginInstanceName",
        steps: &[
            Sync(&["kong-with-instance_name.yaml"]),
            Sync(&["kong-without-instance_name.yaml"]),
            Sync(&["kong-with-instance_name.yaml"]),
        ],
    },
    Case {
        dir: "sync/020-same-names-altered-ids",
        go_test: "Test_Sync_ChangingIDsWhileKeepingNames",
        // decK's test resets the gateway before each "before" file; here each one is synced over
        // the last desired state, which changes the same ids back and then forth again.
        steps: &[
            Sync(&["1-before.yaml"]),
            Sync(&["desired.yaml"]),
            All(IDS_020),
            Sync(&["2-before.yaml"]),
            Sync(&["desired.yaml"]),
            All(IDS_020),
            Sync(&["3-before.yaml"]),
            Sync(&["desired.yaml"]),
            All(IDS_020),
        ],
    },
    Case {
        dir: "sync/021-update-with-explicit-ids",
        go_test: "Test_Sync_UpdateWithExplicitIDs",
        steps: &[
            Sync(&["before.yaml"]),
            Sync(&["after.yaml"]),
            Live("/services/c75a775b-3a32-4b73-8e05-f68169c23941", "/tags", r#"["after"]"#),
        ],
    },
    Case {
        dir: "sync/022-update-with-explicit-ids-with-no-names",
        go_test: "Test_Sync_UpdateWithExplicitIDsWithNoNames",
        steps: &[Sync(&["before.yaml"]), Sync(&["after.yaml"])],
    },
    Case {
        dir: "sync/023-create-and-update-certificate-with-snis",
        go_test: "Test_Sync_CreateCertificateWithSNIs",
        steps: &[Sync(&["initial.yaml"]), Sync(&["update.yaml"])],
    },
    Case {
        dir: "sync/024-consumers-with-custom_id-and-username",
        go_test: "Test_Sync_ConsumersWithCustomIDAndOrUsername",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "sync/024-consumers-with-custom_id-and-username",
        go_test: "Test_Sync_ConsumersWithCustomIDAndOrUsername (reverse order)",
        steps: &[Sync(&["kong3x-reverse-order.yaml"])],
    },
    Case {
        dir: "sync/025-consumer-groups-scoped-plugins",
        go_test: "Test_Sync_ConsumerGroupsScopedPlugins (Enterprise: rate-limiting-advanced)",
        steps: &[Refuses(&["sync", "kong3x.yaml"], "rate-limiting-advanced")],
    },
    Case {
        dir: "sync/027-created-at",
        go_test: "Test_Sync_DoNotUpdateCreatedAt",
        steps: &[
            Sync(&["old.yaml"]),
            SyncKeeps(
                &["new.yaml"],
                &[
                    ("/services/svc1", "/created_at"),
                    ("/routes/r1", "/created_at"),
                    ("/plugins", "/data/0/created_at"),
                    ("/consumers/foo", "/created_at"),
                ],
            ),
        ],
    },
    Case {
        dir: "sync/028-consumer-group-consumers-custom_id",
        go_test: "Test_Sync_ConsumerGroupConsumersWithCustomID, Test_Dump_ConsumerGroupConsumersWithCustomID",
        steps: &[Sync(&["kong.yaml"]), Dump(&["--with-id"], "kong.yaml")],
    },
    Case {
        dir: "sync/033-filter-chains",
        go_test: "Test_Sync_FilterChains (init: the service and route the filter chains attach to)",
        steps: &[Sync(&["init.yaml"])],
    },
    Case {
        dir: "sync/040-avoid-entity-rewrite-with-id-on-select-tag-mismatch",
        go_test: "Test_Sync_Avoid_Overwrite_On_Select_Tag_Mismatch_With_ID",
        steps: &[
            Sync(&["certificate-initial.yaml"]),
            // decK says "certificate with ID ... already exists"; kongsync refuses as early, in its own words
            // naming the same certificate.
            Fails(
                &["sync", "certificate-final.yaml", "--select-tag", "after"],
                "the gateway already has certificate sha256:7ed41ec42a04 (id 13c562a1-191c-4464-9b18-e5222b46035a)",
            ),
        ],
    },
    // Test_Sync_Plugins_Nested_Foreign_Keys_3x resets the gateway before each file.
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (services via ids)",
        steps: &[Sync(&["kong3x-services-via-ids.yaml"])],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (services via names)",
        steps: &[Sync(&["kong3x-services-via-names.yaml"])],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (routes via ids)",
        steps: &[Sync(&["kong3x-routes-via-ids.yaml"])],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (routes via names)",
        steps: &[Sync(&["kong3x-routes-via-names.yaml"])],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (consumers via ids)",
        steps: &[Sync(&["kong3x-consumers-via-ids.yaml"])],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_3x (consumers via names)",
        steps: &[Sync(&["kong3x-consumers-via-names.yaml"])],
    },
    // Test_Sync_Plugins_Nested_Foreign_Keys_External_Entities creates the referenced entity through the
    // Admin API first; the file names it by id only.
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_External_Entities (consumer)",
        steps: &[
            Put("/consumers/8ca63651-4068-4baa-b2b9-08dc99c29666", r#"{"username": "bob"}"#),
            Sync(&["kong3x-consumers-not-in-state-or-dump.yaml"]),
        ],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_External_Entities (route)",
        steps: &[
            Put(
                "/services/00000000-0000-4000-8000-0000000000e5",
                r#"{"name": "external-service", "host": "localhost", "port": 3200, "protocol": "http"}"#,
            ),
            Put(
                "/routes/8ca63651-4068-4baa-b2b9-08dc99c29666",
                r#"{"name": "external-route", "paths": ["~/ext"], "protocols": ["http", "https"],
                    "service": {"id": "00000000-0000-4000-8000-0000000000e5"}}"#,
            ),
            Sync(&["kong3x-routes-not-in-state-or-dump.yaml"]),
        ],
    },
    Case {
        dir: "sync/041-plugins-nested-foreign-keys",
        go_test: "Test_Sync_Plugins_Nested_Foreign_Keys_External_Entities (service)",
        steps: &[
            Put(
                "/services/8ca63651-4068-4baa-b2b9-08dc99c29666",
                r#"{"name": "external-service", "host": "localhost", "port": 3200, "protocol": "http"}"#,
            ),
            Sync(&["kong3x-services-not-in-state-or-dump.yaml"]),
        ],
    },
    Case {
        dir: "sync/042-scoped-plugins",
        go_test: "Test_Sync_Scoped_Plugins_Check_Conflicts",
        steps: &[Sync(&["plugins1.yaml"]), Sync(&["plugins2.yaml"])],
    },
    Case {
        dir: "sync/042-scoped-plugins",
        go_test: "Test_Sync_Scoped_Plugins_Check_Conflicts (files together, existing state: non-empty)",
        steps: &[Sync(&["plugins1.yaml"]), Sync(&["plugins1.yaml", "plugins2.yaml"])],
    },
    Case {
        dir: "sync/043-keys-and-key_sets",
        go_test: "Test_Sync_KeysAndKeySets, Test_Sync_KeysAndKeySets_Update",
        steps: &[Sync(&["kong.yaml"]), Sync(&["kong-name-update.yaml"]), Sync(&["kong-no-name.yaml"])],
    },
    Case {
        dir: "sync/048-service-tls-sans",
        go_test: "Test_Sync_Services_TLS_Sans (the service without tls_sans)",
        steps: &[Sync(&["no-tls-https.yaml"])],
    },
    Case {
        dir: "sync/050-update-upstream-target-weight",
        go_test: "Test_Sync_Upstreams_Target_UpdateWeight",
        steps: &[
            Sync(&["before.yaml"]),
            Sync(&["after.yaml"]),
            Live("/upstreams/upstream1/targets", "/data/0/weight", "100"),
        ],
    },
    Case {
        dir: "sync/051-consumer-group-not-found",
        go_test: "Test_Sync_ConsumerGroupNotFoundForConsumer",
        steps: &[Fails(&["sync", "kong.yaml"], "non-existent-group")],
    },
    Case {
        dir: "sync/053-mask-short-values",
        go_test: "Test_Sync_Masking_JSONOutput_ValidJSON",
        steps: &[
            Env(SHORT_VALUES),
            Shows(&["diff", "kong.yaml", "--format", "json"], &["\"<redacted>\""], &[": <redacted>"]),
            Sync(&["kong.yaml"]),
        ],
    },
    Case {
        dir: "sync/057-env-var-masking-tests",
        go_test: "Test_Sync_EnvVar_Masking (certificate rotation)",
        steps: &[
            Env(&[("DECK_CLIENT_CERT", "@v1"), ("DECK_CLIENT_KEY", "@v2")]),
            Sync(&["pem-key.yaml"]),
            Env(&[("DECK_CLIENT_CERT", "@v10"), ("DECK_CLIENT_KEY", "@v11")]),
            Shows(&["sync", "pem-key.yaml"], &["<redacted>"], &["-----BEGIN"]),
        ],
    },
    Case {
        dir: "sync/057-env-var-masking-tests",
        go_test: "Test_Sync_EnvVar_Masking (jwk)",
        steps: &[
            Env(&[("DECK_JWK_KEY", "@v3")]),
            Sync(&["jwk-key.yaml"]),
            Env(&[("DECK_JWK_KEY", "@v12")]),
            Shows(&["sync", "jwk-key.yaml"], &["<redacted>"], &["\"kty\"", "kty"]),
        ],
    },
    Case {
        dir: "sync/057-env-var-masking-tests",
        go_test: "Test_Sync_EnvVar_Masking (comprehensive)",
        steps: &[
            Env(&[
                ("DECK_CLIENT_CERT", "@v1"),
                ("DECK_CLIENT_KEY", "@v2"),
                ("DECK_JWK_KEY", "@v3"),
                ("DECK_API_KEY", "apiKeySecret"),
                ("DECK_DATABASE_PASSWORD", "databasePassword"),
                ("DECK_BEARER_TOKEN", "bearerToken"),
                ("DECK_WEBHOOK_SECRET", "webhookSecret"),
            ]),
            Sync(&["comprehensive.yaml"]),
            Env(&[
                ("DECK_CLIENT_CERT", "@v10"),
                ("DECK_CLIENT_KEY", "@v11"),
                ("DECK_JWK_KEY", "@v12"),
                ("DECK_API_KEY", "apiKeySecretV2"),
                ("DECK_DATABASE_PASSWORD", "databasePasswordV2"),
                ("DECK_BEARER_TOKEN", "bearerTokenV2"),
                ("DECK_WEBHOOK_SECRET", "webhookSecretV2"),
            ]),
            Shows(
                &["sync", "comprehensive.yaml"],
                &["X-API-Key:<redacted>", "X-DB-Pass:<redacted>", "Bearer <redacted>", "X-Webhook-Secret:<redacted>"],
                &["-----BEGIN", "kty", "apiKeySecretV2", "databasePasswordV2", "bearerTokenV2", "webhookSecretV2"],
            ),
        ],
    },
    // --- dump (dump_test.go)
    Case {
        dir: "dump/001-entities-with-tags",
        go_test: "Test_Dump_SelectTags_3x (>=3.1.0 <3.8.0)",
        steps: &[
            Sync(&["kong.yaml"]),
            Dump(&["--select-tag", "managed-by-deck", "--select-tag", "org-unit-42"], "expected.yaml"),
        ],
    },
    Case {
        dir: "dump/004-skip-consumers-with-consumer-groups",
        go_test: "Test_SkipConsumersWithConsumerGroups",
        steps: &[Sync(&["kong3x.yaml"])],
    },
    Case {
        dir: "dump/007-keys-and-key_sets",
        go_test: "Test_Dump_KeysAndKeySets",
        steps: &[
            Sync(&["kong-jwk.yaml"]),
            Dump(&["--with-id"], "kong-jwk.yaml"),
            Sync(&["kong-pem.yaml"]),
            Dump(&["--with-id"], "kong-pem.yaml"),
        ],
    },
    // --- diff (diff_test.go)
    Case {
        dir: "diff/002-mask",
        go_test: "Test_Diff_Masked_NewerThan3x",
        steps: &[
            Env(&[("DECK_SVC1_HOSTNAME", "mockbin.org"), ("DECK_BARR", "barbar"), ("DECK_BAZZ", "bazbaz")]),
            Sync(&["initial3x.yaml"]),
            Shows(
                &["diff", "kong3x.yaml"],
                &["<redacted> is an external host. I like <redacted>!", "baz:<redacted>", "bar:<redacted>"],
                &["mockbin.org", "bazbaz", "barbar"],
            ),
        ],
    },
    Case {
        dir: "diff/001-not-existing-workspace",
        go_test:
            "Test_Diff_Workspace_NewerThan3x (Enterprise; Kong 3.5 OSS has no workspaces, so it is refused by name)",
        steps: &[Fails(&["diff", "kong3x.yaml"], "workspace `test` not found: Kong OSS has no workspaces")],
    },
    Case {
        dir: "diff/004-no-diff-plugin",
        go_test: "Test_Diff_NoDiffUnorderedArray",
        steps: &[Sync(&["initial-ip-restriction.yaml"])],
    },
    Case {
        dir: "diff/004-no-diff-plugin",
        go_test: "Test_Diff_Plugin_Protocol_Order_Change",
        steps: &[
            Sync(&["protocol-initial-order-plugins.yaml"]),
            Shows(&["diff", "--exit-code", "protocol-reordered-plugins.yaml"], &["No changes"], &[]),
        ],
    },
    Case {
        dir: "diff/005-no-diff-target",
        go_test: "Test_Diff_NoDiffCompressedTarget",
        steps: &[Sync(&["kong.yaml"])],
    },
    Case {
        dir: "diff/006-plugin-update",
        go_test: "Test_Diff_PluginConfigReorderArraySetValues",
        steps: &[
            Sync(&["initial-request-transformer-reorder-array.yaml"]),
            Shows(&["diff", "final-request-transformer-reorder-array.yaml"], &["update"], &[]),
            Sync(&["initial-jwt-reorder-set.yaml"]),
            Shows(&["diff", "--exit-code", "final-jwt-reorder-set.yaml"], &[], &["update"]),
        ],
    },
    Case {
        dir: "diff/009-mask-short-values",
        go_test: "Test_Diff_Masking_ShortValues_NoCorruption, _JSONOutput_ValidJSON, _ExactValueMatch",
        steps: &[
            Env(SHORT_VALUES),
            Sync(&["initial.yaml"]),
            // kongsync's text shows only what changes, by name; the ids are in the JSON plan's paths.
            Shows(
                &["diff", "kong.yaml"],
                &["host: <redacted>"],
                &["<redacted>3ec", "b35b3ec<redacted>", "old-<redacted>"],
            ),
            Shows(
                &["diff", "kong.yaml", "--format", "json"],
                &["b35b3ec2-fa1c-4f6c-825e-c38141562c76", "a1234567-89ab-cdef-0123-456789abcdef", "60000", "8080"],
                &[": <redacted>", "b35b3ec<redacted>", "<redacted>3ec", "old-<redacted>"],
            ),
        ],
    },
    // --- apply (apply_test.go): apply A then B is one sync of A and B (see the module comment)
    Case {
        dir: "apply/001-same-type",
        go_test: "Test_Apply_3x (applies multiple of the same entity)",
        steps: &[Sync(&["service-01.yaml", "service-02.yaml"]), Dump(&[], "expected-state.yaml")],
    },
    Case {
        dir: "apply/002-different-types",
        go_test: "Test_Apply_3x (applies different entity types)",
        steps: &[Sync(&["service-01.yaml", "plugin-01.yaml"]), Dump(&[], "expected-state.yaml")],
    },
    Case {
        dir: "apply/003-foreign-keys-consumers",
        go_test: "Test_Apply_3x (accepts consumer foreign keys)",
        steps: &[Sync(&["consumer-01.yaml", "plugin-01.yaml"]), Dump(&[], "expected-state.yaml")],
    },
    Case {
        dir: "apply/005-foreign-keys-services",
        go_test: "Test_Apply_3x (accepts service foreign keys)",
        steps: &[Sync(&["service-01.yaml", "plugin-01.yaml"]), Dump(&[], "expected-state.yaml")],
    },
    Case {
        dir: "apply/006-foreign-keys-routes",
        go_test: "Test_Apply_3x (accepts route foreign keys <3.14.0)",
        steps: &[Sync(&["route-01.yaml", "plugin-01.yaml"]), Dump(&[], "expected-state.yaml")],
    },
    Case {
        dir: "apply/007-update-existing-entity",
        go_test: "Test_Apply_3x (updates existing entities)",
        steps: &[
            Sync(&["service-01.yaml"]),
            Dump(&[], "expected-state-01.yaml"),
            Sync(&["service-02.yaml"]),
            Dump(&[], "expected-state-02.yaml"),
        ],
    },
    Case {
        dir: "apply/008-update-existing-nested-entity",
        go_test: "Test_Apply_3x (accepts route updates)",
        steps: &[Sync(&["route-01.yaml"]), Sync(&["route-02.yaml"]), Dump(&[], "route-expected-state.yaml")],
    },
    Case {
        dir: "apply/008-update-existing-nested-entity",
        go_test: "Test_Apply_3x (accepts consumer group consumer updates)",
        steps: &[Sync(&["consumer-group-01.yaml"]), Sync(&["consumer-group-02.yaml"])],
    },
    Case {
        dir: "apply/009-keys-and-key_sets",
        go_test: "Test_Apply_KeysAndKeySets",
        steps: &[Sync(&["initial.yaml", "update.yaml"])],
    },
    // --- reset (reset_test.go)
    Case {
        dir: "reset/001-skip-ca-cert",
        go_test: "Test_Reset_SkipCACert_3x",
        steps: &[
            Sync(&["kong3x.yaml"]),
            Runs(&["reset", "--force", "--skip-ca-certificates"]),
            Live("/ca_certificates", "/data/0/id", "\"b824e7c0-d116-4c03-9e27-de05c5d30083\""),
            Live("/services", "/data", "[]"),
        ],
    },
];

/// A fixture using a feature outside kongsync's core: kongsync must refuse it with a message that
/// names the feature, before anything is sent.
pub struct Refused {
    pub file: &'static str,
    pub message: &'static str,
    pub why: &'static str,
}

macro_rules! refused {
    ($($file:literal => $message:literal, $why:literal;)*) => {
        &[$(Refused { file: $file, message: $message, why: $why }),*]
    };
}

pub const REFUSED: &[Refused] = refused! {
    "validate/kong.yaml" => "`_format_version` is \"1.1\"", "decK format 1.1 (Test_Validate_File reads it; kongsync reads 3.0 only)";
    "validate/rbac-resources.yaml" => "unsupported feature: RBAC", "RBAC roles, Enterprise (Test_Validate_Konnect)";
    "validate/001-partials/partials.yaml" => "unsupported feature: plugin partials", "partials (Test_Validate_PartialLookupTags)";
    "validate/001-partials/partial-lookup-tags.yaml" => "unsupported feature: plugin partials", "partials (Test_Validate_PartialLookupTags)";
    "sync/011-plugin-ordering/kong.yaml" => "ordering", "dynamic plugin ordering, Enterprise (Test_Sync_PluginOrdering)";
    "sync/033-filter-chains/create.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/033-filter-chains/create-3.4.x.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/033-filter-chains/update.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/033-filter-chains/update-3.4.x.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/033-filter-chains/delete.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/033-filter-chains/delete-3.4.x.yaml" => "unsupported feature: filter chains", "filter chains (Test_Sync_FilterChains)";
    "sync/036-degraphql-routes/kong.yaml" => "unsupported feature: custom entities", "degraphql routes (Test_Sync_DegraphqlRoutes)";
    "sync/036-degraphql-routes/kong-complex-query.yaml" => "unsupported feature: custom entities", "degraphql routes (Test_Sync_DegraphqlRoutes)";
    "sync/036-degraphql-routes/kong-fake.yaml" => "unsupported feature: custom entities", "custom entities (Test_Sync_CustomEntitiesFake)";
    "sync/037-consumer-group-policy-overrides/kong34x.yaml" => "unsupported feature: legacy consumer-group policy overrides", "Enterprise (Test_Sync_ConsumerGroupPlugin_Policy_Overrides_34x)";
    "sync/037-consumer-group-policy-overrides/kong39x.yaml" => "unsupported feature: legacy consumer-group policy overrides", "Enterprise (Test_Sync_ConsumerGroupPlugin_Policy_Overrides_39x)";
    "sync/039-partials/kong.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Plugins)";
    "sync/039-partials/kong-ids.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Plugins)";
    "sync/039-partials/kong-wrong.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Plugins)";
    "sync/039-partials/cg-plugin-partial.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Plugins)";
    "sync/039-partials/kong-partials.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials)";
    "sync/039-partials/kong-partials-no-name.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials)";
    "sync/039-partials/kong-partials-no-type.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials)";
    "sync/039-partials/kong-update.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials)";
    "sync/044-partials-tagging/partials.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/044-partials-tagging/partial-lookup-tags-ids.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/044-partials-tagging/partial-lookup-tags-names.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/044-partials-tagging/partial-lookup-tags-wrong.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/044-partials-tagging/partial-lookup-tags-wrong-ids.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/044-partials-tagging/partial-lookup-tags-wrong-names.yaml" => "unsupported feature: plugin partials", "partials (Test_Sync_Partials_Tagging)";
    "sync/045-skip-custom-entities/initial.yaml" => "unsupported feature: custom entities", "custom entities (Test_Sync_SkipCustomEntitiesWithSelectorTags)";
    "sync/047-basic-auth-skip-hash/kong-with-info.yaml" => "unsupported feature: pre-hashed basic-auth passwords", "Konnect only (Test_Sync_BasicAuth_SkipHash_Konnect)";
    "sync/052-graphql-ratelimiting-cost-decorations/kong.yaml" => "unsupported feature: custom entities", "GraphQL cost decorations (Test_Sync_GraphqlRateLimitingCostDecorations)";
    "sync/052-graphql-ratelimiting-cost-decorations/kong-all-fields.yaml" => "unsupported feature: custom entities", "GraphQL cost decorations (Test_Sync_GraphqlRateLimitingCostDecorations)";
    "sync/052-graphql-ratelimiting-cost-decorations/kong-mixed.yaml" => "unsupported feature: custom entities", "GraphQL cost decorations (Test_Sync_GraphqlRateLimitingCostDecorations)";
    "sync/052-graphql-ratelimiting-cost-decorations/kong-missing-type-path.yaml" => "unsupported feature: custom entities", "GraphQL cost decorations (Test_Sync_GraphqlRateLimitingCostDecorations)";
    "sync/054-cloned-plugin-definitions/kong.yaml" => "unsupported feature: cloned plugin definitions", "Enterprise 3.15 (Test_Sync_ClonedPluginDefinitions)";
    "sync/054-cloned-plugin-definitions/kong-fake.yaml" => "unsupported feature: cloned plugin definitions", "Enterprise 3.15 (Test_Sync_ClonedPluginDefinitions)";
    "sync/055-custom-plugin-definitions/kong.yaml" => "unsupported feature: custom plugin definitions", "Enterprise 3.15 (Test_Sync_CustomPluginDefinitions)";
    "sync/056-ai-models/kong.yaml" => "unsupported feature: AI models", "Konnect AI Gateway (no decK test runs it yet)";
    "sync/xxx-rbac-endpoint-permissions/kong3x.yaml" => "unsupported feature: RBAC", "RBAC, Enterprise (Test_Sync_RBAC_3x)";
    "apply/008-custom-entities/initial-state-gql-rl-cost-deco.yaml" => "unsupported feature: custom entities", "custom entities (Test_Apply_Custom_Entities)";
    "apply/008-custom-entities/partial-update-degraphql-routes.yaml" => "unsupported feature: custom entities", "custom entities (Test_Apply_Custom_Entities)";
    "apply/013-cloned-plugin-definitions/initial-cpd-only.yaml" => "unsupported feature: cloned plugin definitions", "Enterprise 3.15 (Test_Apply_ClonedPluginDefinitions)";
    "apply/014-custom-plugin-definitions/initial-cpd-only.yaml" => "unsupported feature: custom plugin definitions", "Enterprise 3.15 (Test_Apply_CustomPluginDefinitions)";
    "dump/004-filter-chains/kong.yaml" => "unsupported feature: filter chains", "filter chains (Test_Dump_FilterChains)";
    "dump/004-filter-chains/kong-3.4.x.yaml" => "unsupported feature: filter chains", "filter chains (Test_Dump_FilterChains)";
    "dump/012-custom-entities-graphql-ratelimiting/kong.yaml" => "unsupported feature: custom entities", "custom entities (Test_Dump_GraphqlRateLimitingCostDecorations)";
    "reset/003-skip-plugin-definitions/kong.yaml" => "unsupported feature: custom plugin definitions", "Enterprise 3.15 (Test_Reset_SkipPluginDefinitions)";
};

/// Fixture files not run, by path prefix, with the reason.
pub struct Skipped {
    pub files: &'static [&'static str],
    pub why: &'static str,
}

pub const SKIPPED: &[Skipped] = &[
    Skipped {
        files: &[
            "sync/026-konnect-rename/",
            "sync/043-keys-and-key_sets/kong-no-name-konnect.yaml",
            "dump/002-skip-consumers/expected_konnect.yaml",
            "dump/002-skip-consumers/expected-no-skip_konnect.yaml",
            "dump/003-consumer-group-consumers-custom_id/konnect.yaml",
            "dump/004-skip-consumers-with-consumer-groups/expected-konnect.yaml",
            "dump/007-keys-and-key_sets/konnect-",
            "dump/009-skip-defaults/konnect/",
            "dump/010-services-tls-sans/konnect-no-tls-https.yaml",
            "dump/012-custom-entities-graphql-ratelimiting/konnect-expected-no-custom-entities.yaml",
            "apply/008-update-existing-nested-entity/consumer-group-expected-state-konnect.yaml",
            "apply/008-update-existing-nested-entity/route-expected-state-konnect.yaml",
        ],
        why: "Konnect-only expectation (decK's *_Konnect tests; the simulator runs here as Kong 3.5.0)",
    },
    Skipped {
        files: &["dump/002-skip-consumers/kong34.yaml", "sync/xxx-plugins-on-entities/kong.yaml"],
        why: "other Kong versions: Enterprise 3.4 (Test_Dump_SkipConsumers) and Kong 2.8 (Test_Sync_PluginsOnEntitiesTill_3_0_0)",
    },
    Skipped {
        files: &["dump/008-sanitizer/", "dump/009-skip-defaults/enterprise/"],
        why: "decK options, not Kong behaviour: `dump --sanitize` and `--skip-defaults` on Enterprise 3.10+ (partials, expression routes)",
    },
    Skipped {
        files: &["diff/003-unmask/"],
        why: "decK-only option: `--no-mask-deck-env-vars-value` (kongsync always masks)",
    },
    Skipped {
        files: &["dump/012-custom-entities-graphql-ratelimiting/kong-no-custom-entities.yaml"],
        why: "custom entities: the expected dump of a refused file",
    },
];

/// Cases that fail today because of a known open bug; each is asserted to still fail, so fixing one
/// forces this table to be updated.
pub const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];
