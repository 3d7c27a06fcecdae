// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Zero warnings in the project's own modules (dependencies' warnings are not ours and are not affected).
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "mpesa-recon",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpesa-recon", targets: ["mpesa-recon"]),
        .executable(name: "daraja-sim", targets: ["daraja-sim"]),
        .executable(name: "mpesa-recon-demo", targets: ["mpesa-recon-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The callback endpoint and the Daraja simulator; ConfigurationSupport is left out to build less.
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        // Already a dependency of Hummingbird; named here because the callback sweeper is a Service.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // `/metrics` in the Prometheus text format (HELP/TYPE, escaping, histograms) instead of hand-built text.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The LMS's SimpleJWT tokens (HS256/RS256/ES256) are checked and signed by jwt-kit, not hand-rolled JOSE.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // Already in the graph through jwt-kit; ReconIdentity's SHA-256 (sessions, idempotency, statement files).
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        // The console's server-rendered pages.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Pure domain: no I/O. Payments, refunds, findings, money, time (East Africa Time), the Org Portal statement's
        // parsing and matching rules, Daraja's result codes. Imports no project target.
        .target(name: "ReconCore", swiftSettings: swiftSettings),

        // C libraries from Debian packages.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Inflates the zip entries of an XLSX file (libxlsxwriter only writes).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Spreadsheet rows out of files: zip, XML and XLSX worksheets, read in bounded chunks (no M-Pesa rules).
        .target(name: "SpreadsheetReader", dependencies: ["ReconCore", "CZlib"], swiftSettings: swiftSettings),

        // Passwords (Django's PBKDF2 through OpenSSL), the LMS's SimpleJWT tokens (jwt-kit), random tokens, SHA-256,
        // constant-time comparison, secrets at rest. No database.
        .target(
            name: "ReconIdentity",
            dependencies: [
                "ReconCore", "COpenSSL", .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // PostgreSQL: the libpq connection and pool, SQL queries with bound parameters, migrations, the stores.
        .target(
            name: "ReconPostgres",
            dependencies: [
                "ReconCore", "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // An HTTP client over libcurl (one transfer thread), for Daraja.
        .target(name: "ReconHTTP", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // Daraja's APIs: OAuth, STK Push and Query, B2C, their answers classified.
        .target(
            name: "Daraja",
            dependencies: [
                "ReconCore", "ReconHTTP", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Report files: CSV and XLSX writers, the sheets' columns and formatting (no business decisions).
        .target(
            name: "ReconReports",
            dependencies: [
                "ReconCore", "ReconPostgres", "CXLSXWriter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The application: what each feature does, one folder each (Callbacks, Payments, Settle, Reconcile, Refunds,
        // Statements, Runs, Desks, Accounts) and what each CLI command runs (Commands). No HTTP server.
        .target(
            name: "ReconApp",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconHTTP", "Daraja", "ReconReports", "ReconIdentity",
                "SpreadsheetReader",
                .product(name: "Logging", package: "swift-log"),
                // The callback writer and applier run as services under the server's graceful shutdown.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Views of payments, refunds, runs and reports with their text and JSON forms: CLI, API and console.
        .target(
            name: "ReconPresentation",
            dependencies: ["ReconCore", "ReconPostgres", "ReconApp", "ReconReports"],
            swiftSettings: swiftSettings
        ),
        // Hummingbird plumbing with no M-Pesa knowledge: connection deadlines and limits, a running server for tests.
        .target(
            name: "HTTPServerKit",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP application: its route groups (callbacks, api, console, operations) and their services.
        .target(
            name: "ReconServer",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconApp", "HTTPServerKit", "ReconIdentity", "ReconReports",
                "ReconPresentation",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The console's Mustache templates and stylesheet, read once at start from the resource bundle.
            resources: [.copy("Resources/console")],
            swiftSettings: swiftSettings
        ),
        // The production binary: no simulator, no demo, no test hook (`Package.swift` is the proof).
        .executableTarget(
            name: "mpesa-recon",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconHTTP", "ReconReports", "ReconApp", "ReconServer", "Daraja",
                "ReconPresentation", "ReconIdentity", "HTTPServerKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Not shipped: Daraja's simulator (in-process for tests and the demo, or as `daraja-sim`).
        .target(
            name: "DarajaSimulator",
            dependencies: [
                "ReconCore", "ReconHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // C2B v1's hashed MSISDN (SHA-256 of 2547XXXXXXXX).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "daraja-sim",
            dependencies: [
                "DarajaSimulator", "Daraja", "HTTPServerKit", "ReconCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Not shipped: `make demo`'s day of payments on a local PostgreSQL with the simulator in-process.
        .target(
            name: "ReconDemo",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconApp", "ReconServer", "Daraja", "DarajaSimulator", "HTTPServerKit",
                "ReconHTTP", "ReconReports", "ReconIdentity",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "mpesa-recon-demo",
            dependencies: [
                "ReconCore", "ReconDemo", "ReconApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test-only: `refunds send` with a SIGKILL at a chosen step, for the "never twice" tests. Only the
        // integration tests depend on it; it is not a declared product, and nothing shipped links it.
        .executableTarget(
            name: "recon-crash-harness",
            dependencies: [
                "ReconCore", "ReconApp",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CrashHarness",
            swiftSettings: swiftSettings
        ),

        // Shared by the test targets: the throwaway PostgreSQL and per-test databases.
        .target(
            name: "ReconTestSupport",
            dependencies: ["ReconCore", "ReconPostgres"],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "ReconCoreTests", dependencies: ["ReconCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReconIdentityTests", dependencies: ["ReconIdentity", "ReconCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StatementFileTests",
            // CZlib: the hostile-file tests deflate their zip bombs themselves.
            dependencies: ["ReconApp", "SpreadsheetReader", "ReconCore", "ReconReports", "CZlib"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconPostgresTests",
            dependencies: ["ReconPostgres", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconHTTPTests",
            dependencies: ["ReconHTTP"],
            exclude: ["loopback_server.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DarajaTests", dependencies: ["Daraja", "ReconCore", "ReconTestSupport"], swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DarajaIntegrationTests",
            dependencies: ["Daraja", "DarajaSimulator", "ReconCore", "ReconHTTP", "HTTPServerKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconIntegrationTests",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconHTTP", "ReconApp", "ReconServer", "Daraja", "DarajaSimulator",
                "HTTPServerKit", "ReconTestSupport", "ReconDemo", "recon-crash-harness", "SpreadsheetReader",
                "ReconReports", "ReconIdentity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // A stand-in Daraja that answers Pull with C2B-PULL.md §9's bodies, independent of the simulator.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Scripts", "Fixtures", "check_openapi.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconPresentationTests",
            dependencies: ["ReconPresentation", "ReconCore", "ReconApp", "ReconPostgres", "ReconReports"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconReportsTests",
            dependencies: ["ReconReports", "ReconCore", "ReconPostgres", "ReconTestSupport"],
            exclude: ["check_xlsx.py", "Golden"],
            swiftSettings: swiftSettings
        ),
    ]
)
